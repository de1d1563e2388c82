/**
 * The one import point for cdk8s-plus-28.
 *
 * Constructs in this library emit the Kubernetes 1.28 API objects generated
 * into cdk8s-plus-28 (`k8s.KubeDeployment`, ...), not the cdk8s-plus L2
 * classes: the L2 defaults do not meet Pod Security "restricted" (no seccomp
 * profile, no capability drop), add resource requests and limits nobody asked
 * for, select pods by a hashed label and stamp a namespace on cluster-scoped
 * objects, and there is no PodDisruptionBudget class. The generated module
 * gives the same typed objects without those defaults.
 *
 * Moving to a newer cdk8s-plus-NN means changing this file only (and a major
 * version of this package, since public children are these types). The deep
 * import skips loading the L2 classes, which synth never uses.
 */
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';

/** The Kubernetes minor version the generated API objects describe. */
export const TARGET_KUBERNETES_VERSION = '1.28';
