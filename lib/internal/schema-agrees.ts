import type { z } from 'zod';

// A props interface has `readonly` keys and arrays; zod's input types have
// neither. Both sides lose them before the comparison, which is otherwise exact.
type Writable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;

/**
 * `true` when a schema's input type and a props interface are the same type
 * (readonly aside), else `false`: a key missing on either side, optional on
 * one side only, or of another type, at any depth. Used as a compile-time
 * check beside each schema:
 *
 * ```ts
 * true satisfies SchemaAgrees<typeof FooPropsSchema, FooProps>;
 * ```
 *
 * The identity test of two generic signatures is the one exact type equality
 * TypeScript offers; mutual assignability would miss an optional key present
 * on one side only.
 */
export type SchemaAgrees<S extends z.ZodType, I> =
  (<T>() => T extends Writable<z.input<S>> ? 1 : 2) extends <T>() => T extends Writable<I> ? 1 : 2 ? true : false;
