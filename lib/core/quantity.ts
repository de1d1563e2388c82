/**
 * Kubernetes resource quantities (`500m`, `2Gi`, `1.5`), parsed to plain
 * numbers so that quotas, limits and sizes can be compared and summed.
 *
 * Hand-written on purpose: the only npm parsers are unmaintained or pull in a
 * whole API client, and the grammar is small. It follows
 * k8s.io/apimachinery/pkg/api/resource (decimal SI, binary SI and decimal
 * exponent suffixes); values are exact for every quantity a manifest uses.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * The full Kubernetes quantity grammar: group 1 the signed number, group 2
 * the suffix (binary SI, decimal SI or a decimal exponent). The one regex
 * {@link parseQuantity} parses with.
 */
export const QUANTITY_PATTERN = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses a quantity; returns undefined when the text is not a quantity. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = QUANTITY_PATTERN.exec(value.trim() === value ? value : '');
  if (!m) return undefined;
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return num * BINARY[suffix]!;
  if (suffix in DECIMAL) return num * DECIMAL[suffix]!;
  if (/^[eE]/.test(suffix)) return num * 10 ** Number(suffix.slice(1));
  return undefined;
}

/** CPU quantity: cores (`2`, `0.5`) or millicores (`500m`). */
export const CPU_PATTERN = /^(\d+(\.\d{1,3})?|\.\d{1,3}|\d+m)$/;

/** Memory or storage quantity: bytes with an optional binary or decimal SI suffix. */
export const BYTES_PATTERN = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** Formats millicores the way Kubernetes prints them (`500m`, `2`). */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Formats bytes with the largest exact binary suffix (`512Mi`, `2Gi`). */
export function formatBytes(bytes: number): string {
  for (const [suffix, factor] of Object.entries(BINARY).reverse()) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(Math.round(bytes));
}
