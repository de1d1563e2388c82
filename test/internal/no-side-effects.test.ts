import { z } from 'zod';
import { describe, expect, it } from 'vitest';

// Loading the library must not configure zod for the program that loads it.
// zod fills two defaults of its own (the locale, a memoizer) when it builds
// schemas; everything else in its global configuration is the program's.
const ZOD_OWN = new Set(['localeError', 'memoizer']);
const programConfig = () => Object.fromEntries(Object.entries(z.config()).filter(([key]) => !ZOD_OWN.has(key)));

describe('importing the library', () => {
  it("leaves zod's global configuration as it was", async () => {
    const before = programConfig();
    expect(before).toEqual({});
    await import('../../lib/index.js');
    expect(programConfig()).toEqual(before);
  });
});
