import { describe, expect, it } from 'vitest';
import { leMatcher, selector } from '../../lib/observability/promql.js';

/** Whether the RE2-compatible regular expression of `leMatcher` matches `text` as PromQL does (fully anchored). */
function matches(seconds: number, text: string): boolean {
  const [, , regex] = leMatcher(seconds);
  return new RegExp(`^(?:${regex})$`).test(text);
}

describe('leMatcher', () => {
  it('matches an integer boundary written as Prometheus 2 text (1) or normalised by Prometheus 3 (1.0)', () => {
    expect(leMatcher(1)).toEqual(['le', '=~', '1(\\.0+)?']);
    for (const text of ['1', '1.0', '1.00']) expect(matches(1, text), text).toBe(true);
    for (const text of ['10', '1.5', '0.1', '11.0', '1.', '+1']) expect(matches(1, text), text).toBe(false);
    expect(leMatcher(10)).toEqual(['le', '=~', '10(\\.0+)?']);
    expect(matches(10, '10.0')).toBe(true);
    expect(matches(10, '1.0')).toBe(false);
  });

  it('matches a fraction with or without trailing zeros, with the dot literal', () => {
    expect(leMatcher(0.5)).toEqual(['le', '=~', '0\\.50*']);
    for (const text of ['0.5', '0.50', '0.500']) expect(matches(0.5, text), text).toBe(true);
    for (const text of ['0.05', '0x5', '0.51', '.5', '5']) expect(matches(0.5, text), text).toBe(false);
    expect(leMatcher(2.5)).toEqual(['le', '=~', '2\\.50*']);
    expect(leMatcher(0.005)).toEqual(['le', '=~', '0\\.0050*']);
    expect(matches(0.005, '0.005')).toBe(true);
    expect(matches(0.005, '0.05')).toBe(false);
  });

  it('also matches the exponent form Go writes below 1e-4 and from 1e6', () => {
    expect(leMatcher(0.00001)).toEqual(['le', '=~', '(0\\.000010*|1e-05)']);
    expect(leMatcher(0.000025)).toEqual(['le', '=~', '(0\\.0000250*|2\\.5e-05)']);
    expect(leMatcher(1_000_000)).toEqual(['le', '=~', '(1000000(\\.0+)?|1e\\+06)']);
    for (const text of ['1000000', '1000000.0', '1e+06']) expect(matches(1_000_000, text), text).toBe(true);
    expect(matches(1_000_000, '1e+6')).toBe(false);
    expect(leMatcher(0.0001)).toEqual(['le', '=~', '0\\.00010*']);
    expect(leMatcher(100_000)).toEqual(['le', '=~', '100000(\\.0+)?']);
  });

  it('handles zero, negative boundaries and rejects non-finite ones', () => {
    expect(leMatcher(0)).toEqual(['le', '=~', '0(\\.0+)?']);
    expect(matches(0, '0.0')).toBe(true);
    expect(leMatcher(-2)).toEqual(['le', '=~', '-2(\\.0+)?']);
    expect(() => leMatcher(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => leMatcher(Number.NaN)).toThrow(RangeError);
  });

  it('quotes into a PromQL selector with the backslash escaped', () => {
    expect(selector('d_bucket', [leMatcher(1)])).toBe('d_bucket{le=~"1(\\\\.0+)?"}');
  });
});
