/**
 * Types shared by every verification layer: structural (schema) validation,
 * policy checks and cross-resource invariants.
 */

/** Normalised production severity (see CHECKS.md). Critical and High fail synth; Medium and Low warn. */
export type Severity = 'Critical' | 'High' | 'Medium' | 'Low';

/** A Kubernetes manifest as plain JSON (what `Chart.toJson()` or a YAML parser yields). */
export interface Manifest {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** One problem found in one object. */
export interface Finding {
  /** Stable check ID from CHECKS.md (`PSS-13`, `NET-02`), or a schema/invariant ID of this project. */
  readonly checkId: string;
  readonly severity: Severity;
  /** The object: kind, namespace (absent for cluster-scoped or unset) and name. */
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** Field path inside the object, dotted with [i] indices: `spec.template.spec.containers[0].image`. */
  readonly path: string;
  /** What is wrong, lowercase, no trailing period. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Where the object came from (file path or construct path), when known. */
  readonly source?: string;
  /** Set when the object waives this check through the waiver annotation; the finding is reported, not failed. */
  readonly waived?: { readonly reason: string };
}

/** True when a finding fails synth or the CLI: Critical or High and not waived. */
export function isBlocking(f: Finding): boolean {
  return !f.waived && (f.severity === 'Critical' || f.severity === 'High');
}

/** Kubernetes minor versions the validators know. */
export type KubernetesVersion = '1.28' | '1.29' | '1.30' | '1.31' | '1.32' | '1.33';
