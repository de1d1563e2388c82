/**
 * Compile-time agreement of a props interface (written for people, with
 * JSDoc) and the input type of its zod schema (written for the machine):
 * `agree<Agree<XProps, z.input<typeof XPropsSchema>>>()` fails to compile
 * when either has a key, an optionality or a type the other lacks.
 * `readonly` is ignored, since interfaces use it and zod types do not.
 */
type DeepMutable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? DeepMutable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
      : T;

/** `true` when `I` and `S` are the same type, `readonly` aside. */
export type Agree<I, S> = [DeepMutable<I>] extends [DeepMutable<S>] ? ([DeepMutable<S>] extends [DeepMutable<I>] ? true : false) : false;

/** Compiles only for `agree<true>()`; does nothing at run time. */
export function agree<T extends true>(): T | undefined {
  return undefined;
}
