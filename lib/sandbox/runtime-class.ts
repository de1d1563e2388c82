import { Construct } from 'constructs';
import type { k8s } from '../internal/plus.js';
import { createRuntimeClass, managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';
import { SANDBOX_RUNTIME_PRESETS, SandboxRuntimeClassPropsSchema, type SandboxRuntimeClassProps } from './runtime-class-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const SandboxRuntimeClassIds = {
  RuntimeClass: 'RuntimeClass',
} as const;

/**
 * A RuntimeClass for a sandboxed container runtime, gVisor or Kata
 * Containers: agents and tool sandboxes that execute untrusted code name it
 * (`sandbox.runtimeClassName`), and their pods run in a user-space kernel or
 * a lightweight VM instead of sharing the node's kernel. The scheduling
 * keeps those pods on the nodes that have the runtime, and the overhead is
 * counted in their requests. A pod naming a RuntimeClass that the app
 * neither creates nor declares external fails synth.
 * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
 */
export class SandboxRuntimeClass extends Construct {
  /** Name of the RuntimeClass, for `runtimeClassName`. */
  public readonly name: string;
  /** The CRI handler. */
  public readonly handler: string;
  /** The RuntimeClass (the default child). */
  public readonly runtimeClass: k8s.KubeRuntimeClass;

  constructor(scope: Construct, id: string, props: SandboxRuntimeClassProps) {
    super(scope, id);
    const p = parseConstructProps(this, SandboxRuntimeClassPropsSchema, props);
    const preset = SANDBOX_RUNTIME_PRESETS[p.preset];
    this.name = p.name ?? preset.name;
    this.handler = p.handler ?? preset.handler;
    const overhead = p.overhead === false ? undefined : (p.overhead ?? preset.overhead);
    this.runtimeClass = setPrimary(
      this,
      createRuntimeClass(this, SandboxRuntimeClassIds.RuntimeClass, managedMeta(this, 'RuntimeClass', undefined, this.name, p.labels), {
        handler: this.handler,
        nodeSelector: p.nodeSelector ?? preset.nodeSelector,
        tolerations: p.tolerations.map((t) => ({ ...t })),
        overhead,
      }),
    );
  }
}
