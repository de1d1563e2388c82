/**
 * Turns the raw errors of a compiled ajv validator into one problem per
 * offending field, worded for people: ajv reports a bad quantity as three
 * errors (not a number, not the quantity format, matches no `oneOf` branch),
 * which is one problem to a reader.
 */
import { type AjvError } from './registry.js';
import { describeValue, formatPath, jsonType, pointerToSegments, type Segment, valueAt } from './paths.js';

/** One structural problem at one field. */
export interface Problem {
  readonly path: readonly Segment[];
  /** What is wrong, lowercase, including the offending value. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

const QUANTITY_EXAMPLES = 'a quantity such as 500m, 2, 512Mi or 2Gi (binary suffixes Ki Mi Gi Ti, decimal k M G T, no spaces or units like B)';

/** Describes the errors of one validation run over `root`. */
export function describeErrors(errors: readonly AjvError[], root: unknown): Problem[] {
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors) {
    const list = byPath.get(e.instancePath);
    if (list) list.push(e);
    else byPath.set(e.instancePath, [e]);
  }
  const problems: Problem[] = [];
  for (const [pointer, list] of byPath) {
    const path = pointerToSegments(pointer, root);
    const value = valueAt(root, path);
    const composite = list.find((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
    // `required` errors raised inside a oneOf/anyOf branch describe one
    // alternative, not a field that must be set.
    const inBranch = (e: AjvError): boolean => composite !== undefined && /\/(oneOf|anyOf)\//.test(e.schemaPath);
    for (const e of list) {
      if (e.keyword === 'required' && !inBranch(e)) {
        const field = String(e.params['missingProperty']);
        const fieldPath = [...path, field];
        problems.push({ path: fieldPath, message: `missing required field "${field}"`, fix: `set ${formatPath(fieldPath)}` });
      }
    }
    const rest = list.filter((e) => e.keyword !== 'required' || inBranch(e));
    if (rest.length > 0) problems.push(describeValueErrors(path, value, rest, composite));
  }
  return problems;
}

function describeValueErrors(path: readonly Segment[], value: unknown, errors: readonly AjvError[], composite: AjvError | undefined): Problem {
  const where = formatPath(path);
  const format = errors.find((e) => e.keyword === 'format' && typeof value === 'string');
  if (format) return describeFormat(path, value as string, String(format.params['format']));
  const types = errors.filter((e) => e.keyword === 'type').flatMap((e) => [e.params['type']].flat().map(String));
  if (types.length > 0 && !types.some((t) => typeMatches(t, value))) {
    const expected = [...new Set(types)].join(' or ');
    return { path, message: `wrong type: expected ${expected}, got ${jsonType(value)} ${describeValue(value)}`, fix: typeFix(where, types, value) };
  }
  if (composite) {
    const alternatives = errors
      .filter((e) => e.keyword === 'required')
      .map((e) => `"${String(e.params['missingProperty'])}"`);
    const exactlyOne = composite.keyword === 'oneOf';
    if (alternatives.length > 0) {
      return {
        path,
        message: `${exactlyOne ? 'exactly one' : 'at least one'} of ${[...new Set(alternatives)].join(', ')} must be set`,
        fix: `set ${exactlyOne ? 'exactly one' : 'at least one'} of those fields under ${where || 'the object'}`,
      };
    }
  }
  const first = errors.find((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'type') ?? errors[0]!;
  return describeKeyword(path, value, first);
}

function describeFormat(path: readonly Segment[], value: string, format: string): Problem {
  const where = formatPath(path);
  if (format === 'quantity') {
    const unit = /^(\d+(?:\.\d+)?)\s*([kKMGTPE])i?B$/.exec(value);
    const hint = unit ? `write ${unit[1]}${unit[2]!.toUpperCase() === 'K' ? 'Ki' : `${unit[2]}i`} (binary) or ${unit[1]}${unit[2] === 'K' ? 'k' : unit[2]} (decimal)` : `use ${QUANTITY_EXAMPLES}`;
    return { path, message: `malformed quantity ${JSON.stringify(value)}`, fix: `${hint} at ${where}` };
  }
  return { path, message: `value ${JSON.stringify(value)} is not a valid ${format}`, fix: `set ${where} to a valid ${format}` };
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function typeFix(where: string, types: readonly string[], value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) && types.some((t) => t === 'integer' || t === 'number')) {
    return `write ${where} as the number ${value}, without quotes`;
  }
  if ((typeof value === 'number' || typeof value === 'boolean') && types.includes('string') && !types.some((t) => t === 'integer' || t === 'number')) {
    return `quote the value of ${where}: "${String(value)}"`;
  }
  const expected = [...new Set(types)];
  return `set ${where} to ${expected.map((t) => (t === 'integer' || t === 'object' || t === 'array' ? `an ${t}` : `a ${t}`)).join(' or ')}`;
}

function describeKeyword(path: readonly Segment[], value: unknown, e: AjvError): Problem {
  const where = formatPath(path);
  const shown = describeValue(value);
  const p = e.params;
  switch (e.keyword) {
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, message: `unsupported value ${shown}: must be one of ${allowed}`, fix: `set ${where} to one of ${allowed}` };
    }
    case 'const':
      return { path, message: `unsupported value ${shown}: must be ${JSON.stringify(p['allowedValue'])}`, fix: `set ${where} to ${JSON.stringify(p['allowedValue'])}` };
    case 'format':
      return typeof value === 'number' && /^(int32|int64)$/.test(String(p['format']))
        ? { path, message: `value ${shown} is out of the ${String(p['format'])} range`, fix: `set ${where} to a value that fits in ${String(p['format'])}` }
        : { path, message: `value ${shown} is not a valid ${String(p['format'])}`, fix: `set ${where} to a valid ${String(p['format'])}` };
    case 'pattern':
      return { path, message: `value ${shown} does not match the pattern ${String(p['pattern'])}`, fix: `change ${where} to match ${String(p['pattern'])}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `value ${shown} must be ${String(p['comparison'])} ${String(p['limit'])}`, fix: `set ${where} to a value ${String(p['comparison'])} ${String(p['limit'])}` };
    case 'minLength':
      return { path, message: `value ${shown} is shorter than ${String(p['limit'])} characters`, fix: `set ${where} to at least ${String(p['limit'])} characters` };
    case 'maxLength':
      return { path, message: `value ${shown} is longer than ${String(p['limit'])} characters`, fix: `shorten ${where} to at most ${String(p['limit'])} characters` };
    case 'minItems':
      return { path, message: `${where || 'the list'} has fewer than ${String(p['limit'])} items`, fix: `add items to ${where} (at least ${String(p['limit'])})` };
    case 'maxItems':
      return { path, message: `${where || 'the list'} has more than ${String(p['limit'])} items`, fix: `remove items from ${where} (at most ${String(p['limit'])})` };
    case 'uniqueItems':
      return { path, message: `items ${String(p['j'])} and ${String(p['i'])} are duplicates`, fix: `remove the duplicate item from ${where}` };
    case 'minProperties':
    case 'maxProperties':
      return { path, message: `object must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(p['limit'])} fields`, fix: `adjust the fields under ${where}` };
    case 'additionalProperties': {
      const field = String(p['additionalProperty']);
      return { path: [...path, field], message: `unknown field "${field}"`, fix: `remove ${formatPath([...path, field])}` };
    }
    case 'oneOf':
      return { path, message: `value ${shown} matches ${p['passingSchemas'] ? 'more than one' : 'none'} of the allowed shapes`, fix: `check ${where} against the API reference` };
    case 'anyOf':
      return { path, message: `value ${shown} matches none of the allowed shapes`, fix: `check ${where} against the API reference` };
    default:
      return { path, message: `value ${shown} is invalid (${e.keyword})`, fix: `check ${where} against the API reference` };
  }
}
