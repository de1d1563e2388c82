import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { ObjectMeta } from './metadata.js';

/** What {@link createRuntimeClass} builds a RuntimeClass from. */
export interface RuntimeClassOptions {
  /** The CRI handler the nodes' container runtime is configured with (`runsc`, `kata-qemu`). */
  readonly handler: string;
  /** Node labels the class's pods are scheduled on (merged into each pod's nodeSelector). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Taints the class's pods tolerate (appended to each pod's tolerations). */
  readonly tolerations: readonly k8s.Toleration[];
  /** Resources the sandbox itself uses per pod, added to the pod's requests, or undefined for none. */
  readonly overhead?: { readonly cpu: string; readonly memory: string };
}

/**
 * Creates a RuntimeClass (node.k8s.io/v1): the handler, its scheduling
 * (written only when there is some) and the per-pod overhead.
 * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
 */
export function createRuntimeClass(scope: Construct, id: string, metadata: ObjectMeta, o: RuntimeClassOptions): k8s.KubeRuntimeClass {
  const scheduling = Object.keys(o.nodeSelector).length > 0 || o.tolerations.length > 0;
  return new k8s.KubeRuntimeClass(scope, id, {
    metadata,
    handler: o.handler,
    scheduling: scheduling
      ? { nodeSelector: Object.keys(o.nodeSelector).length > 0 ? { ...o.nodeSelector } : undefined, tolerations: o.tolerations.length > 0 ? [...o.tolerations] : undefined }
      : undefined,
    overhead: o.overhead ? { podFixed: { cpu: k8s.Quantity.fromString(o.overhead.cpu), memory: k8s.Quantity.fromString(o.overhead.memory) } } : undefined,
  });
}
