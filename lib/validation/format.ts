import type { Finding } from './types.js';

/** Formats a finding as one line: `<CHECK> <severity> <Kind> <ns>/<name> <path>: <message>; fix: <fix>`. */
export function formatFinding(f: Finding): string {
  const where = f.namespace ? `${f.namespace}/${f.name}` : f.name;
  const waived = f.waived ? ` (waived: ${f.waived.reason})` : '';
  return `${f.checkId} ${f.severity} ${f.kind} ${where} ${f.path}: ${f.message}; fix: ${f.fix}${waived}`;
}
