import type { Finding } from '../types.js';
import { CHECK_SEVERITY, type CheckId } from './checks.js';
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
    this.push(subject, checkId, path, message, fix, subject.waivers?.get(checkId));
  }

  /** Reports a finding that is waived by a documented exception other than a waiver annotation. */
  public addWaived(subject: Subject | ObjectInfo, checkId: CheckId, path: string, message: string, fix: string, reason: string): void {
    this.push(subject, checkId, path, message, fix, reason);
  }

  private push(subject: Subject | ObjectInfo, checkId: CheckId, path: string, message: string, fix: string, reason: string | undefined): void {
    this.findings.push({
      checkId,
      severity: CHECK_SEVERITY[checkId],
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
