import { ANNOTATIONS } from '../../internal/labels.js';

/**
 * Annotations the validators read. The construct-facing keys are defined
 * once in `lib/internal/labels.ts` (the constructs write them); the public
 * validator modules re-export them under these names.
 */

/**
 * Prefix of a per-object waiver: `waivers.cdk8s-agent-platform.dev/<CHECK-ID>: "<reason>"`
 * on the object's own `metadata.annotations`. The reason is required; an
 * empty one is a finding of its own (`WAIVER-01`).
 */
export const WAIVER_ANNOTATION_PREFIX = 'waivers.cdk8s-agent-platform.dev/';

/**
 * On a pod template: the app's drain time in whole seconds after SIGTERM
 * (in-flight requests plus any in-app delay before it stops accepting
 * connections), e.g. `"30"`. The grace-period check (AVL-11) requires
 * `terminationGracePeriodSeconds >= preStop sleep + drain`.
 */
export const DRAIN_SECONDS_ANNOTATION: string = ANNOTATIONS.drainSeconds;

/**
 * On a Namespace: why it runs below Pod Security `restricted`. With this
 * annotation non-empty, an `enforce` level of `privileged` or `baseline` is a
 * documented exception: PSS-18 is reported waived, not failed.
 */
export const POD_SECURITY_EXCEPTION_ANNOTATION: string = ANNOTATIONS.podSecurityException;

/**
 * On any object: references that exist outside the bundle, comma-separated,
 * as `Kind/name` (in the object's namespace; for a Namespace object, in that
 * namespace) or `Kind/namespace/name`, e.g. `"Secret/db-credentials,ConfigMap/ca-bundle"`.
 * `Pod/<app>` declares pods labelled `app.kubernetes.io/name: <app>` that a
 * NetworkPolicy podSelector peer may name although no workload in the bundle
 * runs them.
 */
export const EXTERNAL_REFS_ANNOTATION: string = ANNOTATIONS.externalRefs;

/**
 * On a pod template (or its workload): declared network dependencies,
 * comma-separated `<namespace>/<app.kubernetes.io/name>:<port>`, e.g.
 * `"data/postgres:5432,cache/valkey:6379"`. The port is a number or a
 * container port name; TCP is assumed.
 */
export const DEPENDS_ON_ANNOTATION: string = ANNOTATIONS.dependsOn;

/**
 * Where ingress traffic comes from: `"<namespace>"` or
 * `"<namespace>/<app.kubernetes.io/name>"` of the controller or scraper pods.
 * Read on an Ingress, HTTPRoute or ServiceMonitor, or on the workload behind
 * it (the constructs put it on the Deployment).
 */
export const INGRESS_FROM_ANNOTATION: string = ANNOTATIONS.ingressFrom;

/**
 * On a pod template: the connections each pod opens to servers, as
 * `<namespace>/<app>=<per pod>,...` (a pool size per app). STO-03 sums them
 * over the clients' maximum replicas against each server's limit.
 */
export const CONNECTIONS_ANNOTATION: string = ANNOTATIONS.connections;

/**
 * On a server's pod template, or the object an operator builds it from: the
 * connections it accepts in total, e.g. PostgreSQL's `max_connections`
 * minus the reserved ones (STO-03).
 */
export const CONNECTION_LIMIT_ANNOTATION: string = ANNOTATIONS.connectionLimit;
