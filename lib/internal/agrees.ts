/**
 * Compile-time agreement of a props interface with its zod schema's input
 * (STYLE.md rule 3): `readonly` aside, each must be assignable to the other.
 * Use as `const _agrees: Agrees<XProps, z.input<typeof XPropsSchema>> = true;`.
 */
export type Agrees<I, S> = [Writable<I>] extends [S] ? ([S] extends [Writable<I>] ? true : false) : false;

/** `T` with `readonly` removed at every depth (arrays included). */
export type Writable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;
