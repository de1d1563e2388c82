// The workload kit: every construct of the library is built from these
// functions. Internal to the library (not re-exported by lib/index.ts); see
// ARCHITECTURE.md for what may import it.
export * from './autoscaling.js';
export * from './config.js';
export * from './construct.js';
export * from './container.js';
export * from './daemonset.js';
export * from './deployment.js';
export * from './disruption.js';
export * from './job.js';
export * from './metadata.js';
export * from './network-policy.js';
export * from './pod.js';
export * from './profile.js';
export * from './runtime-class.js';
export * from './security.js';
export * from './service.js';
export * from './service-account.js';
export * from './statefulset.js';
export * from './volumes.js';
