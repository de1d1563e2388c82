import type { IConstruct } from 'constructs';
import type { z } from 'zod';
import { formatIssue, PropsValidationError } from '../internal/props.js';

/**
 * Parses the options of a method (`addAlert(...)`, `wireAgent(...)`) like
 * props, naming the call instead of `props` in each problem:
 * `<construct path> addAlert("X").severity: <what>, got <value>; <fix>`.
 */
export function parseOptions<S extends z.ZodType>(scope: IConstruct, call: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const path = scope.node.path;
  const lines = result.error.issues.flatMap((issue) => formatIssue(path, issue, input).map((line) => line.replace(`${path} props`, `${path} ${call}`)));
  throw new PropsValidationError(path, lines);
}
