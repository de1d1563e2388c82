import { z } from 'zod';
import { problem } from '../internal/props.js';

/**
 * `false`, or an object of options. A plain `z.union` would report a bad
 * option only as "matches none of the allowed shapes"; this parses an object
 * against `options` alone, so each bad option is reported at its own path.
 */
export function offOr<S extends z.ZodType<Record<string, unknown>>>(options: S): z.ZodType<false | z.output<S>, false | z.input<S>> {
  const shape = z.union([z.literal(false), z.record(z.string(), z.unknown())], {
    error: problem('must be false or an object of options', 'pass false to turn it off, or an object (possibly {}) to configure it'),
  });
  return shape.transform((value, ctx) => {
    if (value === false) return false as const;
    const result = options.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }) as unknown as z.ZodType<false | z.output<S>, false | z.input<S>>;
}
