import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../../lib/validation/types.js';

/** The seeds' extracted YAML, copied from the project spec (each file keeps its provenance comment). */
export const SEED_YAML_DIR = fileURLToPath(new URL('../fixtures/seed-yaml/', import.meta.url));

/** One seed's whole objects, in file order, with the file each came from. */
export interface Seed {
  readonly stem: string;
  readonly manifests: readonly Manifest[];
  readonly files: readonly string[];
}

/**
 * Loads every whole object of a seed: top-level files and `embedded/`
 * (heredocs that are whole objects); `fragments/` are excerpts, not objects,
 * and are skipped. Documents without a `kind` (an embedded volumes snippet)
 * are skipped too.
 */
export function loadSeed(stem: string): Seed {
  const dir = join(SEED_YAML_DIR, stem);
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort(),
    ...(existsSync(join(dir, 'embedded'))
      ? readdirSync(join(dir, 'embedded'))
          .filter((f) => f.endsWith('.yaml'))
          .sort()
          .map((f) => `embedded/${f}`)
      : []),
  ];
  const manifests: Manifest[] = [];
  const from: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${stem}/${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as unknown;
      if (value !== null && typeof value === 'object' && typeof (value as Manifest).kind === 'string') {
        manifests.push(value as Manifest);
        from.push(file);
      }
    }
  }
  return { stem, manifests, files: from };
}

/** Seed stems, in order. */
export function seedStems(): string[] {
  return readdirSync(SEED_YAML_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}
