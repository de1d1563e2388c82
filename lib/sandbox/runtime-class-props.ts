import { z } from 'zod';
import { bytesQuantity, cpuQuantity, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { tolerationSchema, type TolerationOptions } from '../workload/container.js';

/**
 * What each preset of {@link SandboxRuntimeClass} sets unless the props say
 * otherwise. gVisor: the `runsc` handler its containerd shim registers, no
 * scheduling (install it on every node, or give `nodeSelector`). Kata
 * Containers: the handlers and node label of kata-deploy, and the overhead
 * of its VMs as kata-deploy's own RuntimeClasses declare it.
 * @see https://gvisor.dev/docs/user_guide/containerd/quick_start/
 * @see https://github.com/kata-containers/kata-containers/tree/main/tools/packaging/kata-deploy
 */
export const SANDBOX_RUNTIME_PRESETS = {
  gvisor: { name: 'gvisor', handler: 'runsc', nodeSelector: {}, overhead: undefined },
  'kata-qemu': { name: 'kata-qemu', handler: 'kata-qemu', nodeSelector: { 'katacontainers.io/kata-runtime': 'true' }, overhead: { cpu: '250m', memory: '160Mi' } },
  'kata-clh': { name: 'kata-clh', handler: 'kata-clh', nodeSelector: { 'katacontainers.io/kata-runtime': 'true' }, overhead: { cpu: '250m', memory: '130Mi' } },
} as const satisfies Record<string, { name: string; handler: string; nodeSelector: Record<string, string>; overhead?: { cpu: string; memory: string } }>;

/** Per-pod resources of the sandbox itself (the VM or the user-space kernel), added to the pod's requests for scheduling and quota. */
export interface RuntimeOverheadOptions {
  /** CPU, like `250m`. */
  readonly cpu: string;
  /** Memory, like `160Mi`. */
  readonly memory: string;
}

/**
 * Props of {@link SandboxRuntimeClass}: a RuntimeClass for a sandboxed
 * container runtime, from a preset with overrides.
 * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
 */
export interface SandboxRuntimeClassProps {
  /** The runtime: gVisor (`runsc`) or Kata Containers with QEMU or Cloud Hypervisor. */
  readonly preset: 'gvisor' | 'kata-qemu' | 'kata-clh';
  /** Name of the RuntimeClass, which pods name in `runtimeClassName`. @default - the preset's (`gvisor`, `kata-qemu`, `kata-clh`) */
  readonly name?: string;
  /** The CRI handler configured in the nodes' container runtime. @default - the preset's (`runsc`, `kata-qemu`, `kata-clh`) */
  readonly handler?: string;
  /**
   * Node labels of the nodes that have the runtime: pods of the class are
   * scheduled only there.
   * @default - the preset's: none for gVisor, `katacontainers.io/kata-runtime: 'true'` for Kata (the label kata-deploy sets)
   * @see https://kubernetes.io/docs/concepts/containers/runtime-class/#scheduling
   */
  readonly nodeSelector?: { readonly [key: string]: string };
  /** Taints of those nodes that the class's pods tolerate (a dedicated sandbox node pool). @default [] */
  readonly tolerations?: readonly TolerationOptions[];
  /**
   * Per-pod overhead of the sandbox, or false for none.
   * @default - the preset's: none for gVisor, 250m CPU and 160Mi (QEMU) or 130Mi (Cloud Hypervisor) for Kata
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/
   */
  readonly overhead?: RuntimeOverheadOptions | false;
  /** Extra labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const handlerName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: problem('is not a CRI handler name', "use lowercase letters, digits and '-', like 'runsc'") }).max(63);

/** Schema of {@link SandboxRuntimeClassProps}. */
export const SandboxRuntimeClassPropsSchema = z.strictObject({
  preset: z.enum(['gvisor', 'kata-qemu', 'kata-clh'], { error: problem('is not a sandbox runtime preset', "use 'gvisor', 'kata-qemu' or 'kata-clh'") }),
  name: dnsSubdomain.optional(),
  handler: handlerName.optional(),
  nodeSelector: labelMap.optional(),
  tolerations: z.array(tolerationSchema).default([]),
  overhead: z.union([z.strictObject({ cpu: cpuQuantity, memory: bytesQuantity }), z.literal(false)]).optional(),
  labels: labelMap.default({}),
});
true satisfies SchemaAgrees<typeof SandboxRuntimeClassPropsSchema, SandboxRuntimeClassProps>;
