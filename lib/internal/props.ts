import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { ReportedError } from './reported-error.js';

/**
 * Separator between "what is wrong" and "how to fix it" inside a zod issue
 * message, so schemas can carry both and the report can print them in the
 * house format `<path> props.<key>: <what>, got <value>; <fix>`.
 */
const FIX = '\u001f';

/** A zod issue message that carries a fix. */
export function problem(what: string, fix: string): string {
  return `${what}${FIX}${fix}`;
}

/** Thrown when construct props fail validation; lists every problem. */
export class PropsValidationError extends ReportedError {
  declare public readonly problems: readonly string[];
  constructor(constructPath: string, problems: readonly string[]) {
    super(`invalid props for ${constructPath}:\n  ${problems.join('\n  ')}`, { problems });
  }
}

function getAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Renders a received value for an error message: short, JSON-like, never multi-line. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    // JSON would print NaN and Infinity as null: keep them as written.
    const nonFinite = (n: number) => `\u0000${String(n)}\u0000`;
    text = (JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? nonFinite(v) : v)) ?? String(value)).replace(
      /"\\u0000(-?\w+)\\u0000"/g,
      '$1',
    );
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = 'props';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return out;
}

/** `a string`, `an object`, `an array`. */
const article = (noun: string) => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

function defaultFix(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `pass ${article(issue.expected)}`;
    case 'unrecognized_keys':
      return 'remove it or check its spelling';
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'use one of the documented shapes';
    default:
      return 'see the property documentation';
  }
}

function defaultWhat(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `is too short (minimum ${String(issue.minimum)})`
        : `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `is too long (maximum ${String(issue.maximum)})`
        : `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return 'is not an allowed value';
    case 'invalid_union':
      return 'matches none of the allowed shapes';
    default:
      return issue.message.toLowerCase();
  }
}

/** Turns one zod issue into report lines (unknown keys give one line each). */
export function formatIssue(constructPath: string, issue: z.core.$ZodIssue, input: unknown): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return `${constructPath} ${formatPath(path)}: unknown property, got ${show(getAt(input, path))}; remove it or check its spelling`;
    });
  }
  if (issue.code === 'invalid_union') {
    // When the value has the shape of one option only (the others failed on
    // its type at the top), that option's own problems are the useful ones:
    // `resources.requests.cpu is required`, not "matches none of the shapes".
    const fitting = issue.errors.filter((errs) => !errs.every((e) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value')));
    if (fitting.length === 1 && fitting[0]!.length > 0) {
      return fitting[0]!.flatMap((inner) => formatIssue(constructPath, { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, input));
    }
  }
  if (issue.code === 'invalid_key') {
    // A record key failed its schema: report the key's own problem at its path.
    return issue.issues.flatMap((inner) =>
      formatIssue(constructPath, { ...inner, path: [...issue.path] } as z.core.$ZodIssue, input).map((line) =>
        line.replace(/, got [^;]*;/, `, got key ${show(issue.path[issue.path.length - 1])};`),
      ),
    );
  }
  // Custom issues about defaulted values carry the value in params.value.
  const params = issue.code === 'custom' ? (issue.params as { value?: unknown } | undefined) : undefined;
  const value = params && 'value' in params ? params.value : getAt(input, issue.path);
  const received = show(value);
  let what: string;
  let fix: string;
  const custom = issue.message.indexOf(FIX);
  if (custom >= 0) {
    what = issue.message.slice(0, custom);
    fix = issue.message.slice(custom + 1);
  } else if (issue.code === 'custom' || !isZodDefaultMessage(issue)) {
    what = issue.message;
    fix = defaultFix(issue);
  } else if (issue.code === 'invalid_type' && value === undefined && issue.expected !== 'undefined') {
    what = 'is required';
    fix = `give ${article(issue.expected)}`;
  } else {
    what = defaultWhat(issue);
    fix = defaultFix(issue);
  }
  return [`${constructPath} ${formatPath(issue.path)}: ${what}, got ${received}; ${fix}`];
}

function isZodDefaultMessage(issue: z.core.$ZodIssue): boolean {
  // zod's own messages start with a capital ("Invalid input", "Too small");
  // ours are lowercase by house style.
  return /^[A-Z]/.test(issue.message);
}

/**
 * Parses construct props against their schema, the first statement of every
 * constructor. Throws one {@link PropsValidationError} listing every problem.
 */
export function parseProps<S extends z.ZodType>(scope: IConstruct, schema: S, props: unknown, root = 'props'): z.output<S> {
  // zod would compile a fast parser per object schema with new Function() on
  // first use; a synth parses each schema a few times, so compiling costs more
  // than it saves (`npm run bench`). Asked per parse, never through zod's
  // global config, which would change zod for the whole program.
  const result = schema.safeParse(props, { jitless: true });
  if (result.success) return result.data;
  const path = scope.node.path || '<app>';
  // A method's argument is named as the call (`addEgress(rule).ports[0]`), not as props.
  const lines = result.error.issues.flatMap((issue) => formatIssue(path, issue, props).map((line) => (root === 'props' ? line : line.replace(`${path} props`, `${path} ${root}`))));
  throw new PropsValidationError(path, lines);
}
