import type { Finding, Severity } from '../types.js';
import { CHECK_SEVERITY, severitiesOf, type CheckId, type StatedSeverity } from './checks.js';
import type { ObjectInfo } from './objects.js';

/**
 * What a finding is about: a manifest, or a namespace that has no Namespace
 * object in the bundle (namespace-wide invariants such as default-deny).
 */
export interface Subject {
  readonly kind: string;
  readonly name: string;
  /** `metadata.namespace` as written. */
  readonly namespace?: string;
  /** Waiver reasons by check ID (empty reasons waive nothing). */
  readonly waivers?: ReadonlyMap<string, string>;
}

/**
 * Collects findings, taking the severity from the check ID and applying the
 * object's waiver annotation for that ID.
 */
export class FindingSink {
  /** Everything reported so far, in order. */
  public readonly findings: Finding[] = [];

  /** Reports one problem. `message` says what is wrong (lowercase, with the value); `fix` how to fix it. */
  public add(subject: Subject | ObjectInfo, checkId: CheckId, path: string, message: string, fix: string): void {
    this.push(subject, checkId, CHECK_SEVERITY[checkId], path, message, fix, subject.waivers?.get(checkId));
  }

  /**
   * Reports a problem of a check whose findings state their severity
   * (STATED_SEVERITIES in checks.ts), e.g. High where the API server or
   * admission rejects the object for certain.
   */
  public addStated<C extends keyof StatedSeverity>(severity: StatedSeverity[C], subject: Subject | ObjectInfo, checkId: C, path: string, message: string, fix: string): void {
    if (!severitiesOf(checkId).includes(severity)) throw new Error(`${checkId} does not state severity ${severity}`);
    this.push(subject, checkId, severity, path, message, fix, subject.waivers?.get(checkId));
  }

  /** Reports a finding that is waived by a documented exception other than a waiver annotation. */
  public addWaived(subject: Subject | ObjectInfo, checkId: CheckId, path: string, message: string, fix: string, reason: string): void {
    this.push(subject, checkId, CHECK_SEVERITY[checkId], path, message, fix, reason);
  }

  private push(subject: Subject | ObjectInfo, checkId: CheckId, severity: Severity, path: string, message: string, fix: string, reason: string | undefined): void {
    this.findings.push({
      checkId,
      severity,
      kind: subject.kind,
      ...(subject.namespace !== undefined ? { namespace: subject.namespace } : {}),
      name: subject.name,
      path,
      message,
      fix,
      ...(reason ? { waived: { reason } } : {}),
    });
  }
}
