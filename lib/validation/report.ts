/**
 * How a failed synth is reported: one error whose message is the whole
 * report, lowercase, one line per problem with the construct path and the
 * field, errors before warnings, and no stack trace (the report says what to
 * fix; where in this library's code it was found helps nobody).
 */
import type { Finding } from './types.js';
import { formatFinding } from './format.js';
import { ReportedError } from '../internal/reported-error.js';

export { ReportedError };
/** Thrown when construct props fail validation: one line per problem, each naming the construct path and the property. */
export { PropsValidationError } from '../internal/props.js';

/**
 * Thrown by synth when verification finds blocking problems; nothing has
 * been written. The message is the report: a summary line, then one
 * `error: <construct path>: <finding>` line per blocking problem, then the
 * warnings (`warning: ...`), which do not block.
 */
export class SynthError extends ReportedError {
  // Not `errors`: Node.js prints an error's `errors` property (AggregateError's) even when it is not enumerable.
  /** The blocking problems, one line each. */
  declare public readonly errorLines: readonly string[];
  /** The findings that do not block (Medium, Low and waived ones), one line each. */
  declare public readonly warningLines: readonly string[];

  constructor(errorLines: readonly string[], warningLines: readonly string[]) {
    super(synthReport(errorLines, warningLines), { errorLines, warningLines });
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function synthReport(errors: readonly string[], warnings: readonly string[]): string {
  const head = `synth failed: ${plural(errors.length, 'error')}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''}; no YAML was written`;
  const lines = [head, ...errors.map((e) => `error: ${e}`)];
  if (warnings.length > 0) lines.push('', ...warnings.map((w) => `warning: ${w}`));
  return lines.join('\n');
}

/** Where each object of the app was defined: construct path by `kind/namespace/name`. */
export type ConstructPaths = ReadonlyMap<string, string>;

/** The key of {@link ConstructPaths} for an object. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/**
 * One finding as a report line: the construct path of its object (or, for a
 * namespace that has no Namespace object in the app, that namespace), then
 * the finding with its field path.
 */
export function findingLine(f: Finding, paths: ConstructPaths): string {
  const where = paths.get(objectKey(f.kind, f.namespace, f.name)) ?? (f.kind === 'Namespace' ? `namespace ${f.name} (no Namespace object in the app)` : `${f.kind} ${f.name} (not defined by a construct)`);
  return `${where}: ${formatFinding(f)}`;
}
