/** The tool that manages every object this library emits (`app.kubernetes.io/managed-by`). */
export const MANAGED_BY = 'cdk8s-agent-platform';

/** Annotation and label keys this library writes or reads. */
export const ANNOTATIONS = {
  /** sha256 of the mounted config files; a change rolls the pods. */
  configChecksum: 'checksum/config',
  /** The app's drain time after SIGTERM, read by the grace-period check (AVL-11). */
  drainSeconds: 'cdk8s-agent-platform.dev/drain-seconds',
  /** Declared dependency edges `<namespace>/<app name>:<port>,...`, read by the network invariants. */
  dependsOn: 'cdk8s-agent-platform.dev/depends-on',
  /** Namespace of the ingress controller or Gateway that reaches this workload. */
  ingressFrom: 'cdk8s-agent-platform.dev/ingress-from',
  /** References that exist outside the bundle, `Kind/name,...`. */
  externalRefs: 'cdk8s-agent-platform.dev/external-refs',
  /** Connections each pod opens to servers, `<namespace>/<app>=<per pod>,...` (connection budget). */
  connections: 'cdk8s-agent-platform.dev/connections',
  /** Connections a server accepts in total (connection budget). */
  connectionLimit: 'cdk8s-agent-platform.dev/connection-limit',
  /** Why a namespace runs below Pod Security "restricted". */
  podSecurityException: 'cdk8s-agent-platform.dev/pod-security-exception',
} as const;

/** Inputs for the recommended label set. */
export interface LabelInputs {
  /** `app.kubernetes.io/name`: the application. */
  readonly name: string;
  /** `app.kubernetes.io/instance`: this instance; with `name`, the selector pair. */
  readonly instance: string;
  readonly version?: string;
  readonly component?: string;
  readonly partOf?: string;
}

/** The stable selector pair. Selectors are immutable, so they use nothing else. */
export function selectorLabels(l: LabelInputs): Record<string, string> {
  return { 'app.kubernetes.io/name': l.name, 'app.kubernetes.io/instance': l.instance };
}

/**
 * The recommended `app.kubernetes.io/*` labels, with user labels merged first
 * so they can never overwrite a recommended or selector label.
 */
export function recommendedLabels(l: LabelInputs, user: Record<string, string> = {}): Record<string, string> {
  return {
    ...user,
    ...selectorLabels(l),
    ...(l.version ? { 'app.kubernetes.io/version': l.version } : {}),
    ...(l.component ? { 'app.kubernetes.io/component': l.component } : {}),
    ...(l.partOf ? { 'app.kubernetes.io/part-of': l.partOf } : {}),
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** A label value made from free text (a version or tag): at most 63 valid characters, or undefined. */
export function toLabelValue(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const v = text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return v.length > 0 ? v : undefined;
}
