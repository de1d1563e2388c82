import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGES, defaultImage, postgresClientImage, renderImage, type DefaultImage } from '../lib/core/images.js';
import { parseImage } from '../lib/core/image.js';
import { defaultPullPolicy } from '../lib/kit/container.js';

// The default images of the library: one table (lib/core/images.ts),
// digest-pinned unless a row says why not, and no image literal anywhere
// else in lib/.

const ROOT = resolve(import.meta.dirname, '..');
const TABLE = 'lib/core/images.ts';

/** Rows left tag-only on purpose (each carries its reason); a row may leave this list only by gaining a digest. */
const UNPINNED = ['pgbouncerExporter', 'opa'];

const rows = Object.entries(DEFAULT_IMAGES) as [string, DefaultImage][];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return path === 'lib/crds' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const repositories = new Set(rows.map(([, r]) => r.repository));

/** True when a literal's text is a container image reference: a digest, a repository of the table, or a version tag like `:1.2`. */
function isImageLiteral(text: string): boolean {
  const ref = parseImage(text);
  if (ref?.digest) return true;
  if (!ref?.tag) return false;
  return repositories.has(ref.repository) || /^v?\d+\.\d+/.test(ref.tag);
}

/** True when a template literal starts like `<repository of the table>:${...}`. */
function isImageTemplate(head: string): boolean {
  return [...repositories].some((r) => head.startsWith(`${r}:`) && !head.startsWith(`${r}://`));
}

/** Image literals of a source file, as `<file>:<line> <text>`. */
function imageLiterals(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const at = (node: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const visit = (node: ts.Node) => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && isImageLiteral(node.text)) out.push(`${at(node)} ${node.text}`);
    if (ts.isTemplateExpression(node) && isImageTemplate(node.head.text)) out.push(`${at(node)} ${node.getText(sf)}`);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('default images', () => {
  it.each(rows)('%s is digest-pinned, or unpinned with a reason', (name, row) => {
    const image = renderImage(row);
    expect(parseImage(image), image).toEqual({ repository: row.repository, tag: row.tag, digest: row.digest });
    expect(row.source.length).toBeGreaterThan(20);
    if (UNPINNED.includes(name)) {
      expect(row.digest).toBeUndefined();
      expect(row.unpinned?.length ?? 0).toBeGreaterThan(20);
      expect(defaultPullPolicy(image)).toBe('Always');
    } else {
      expect(row.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(row.unpinned).toBeUndefined();
      expect(image).toBe(`${row.repository}:${row.tag}@${row.digest}`);
      // Immutable, so the kubelet need not pull it again (IMG-03).
      expect(defaultPullPolicy(image)).toBe('IfNotPresent');
    }
  });

  it('lists only rows of the table as unpinned', () => {
    expect(UNPINNED.filter((n) => !(n in DEFAULT_IMAGES))).toEqual([]);
  });

  it('picks the PostgreSQL client of the server major, tag-only for a major without a row', () => {
    expect(postgresClientImage(15)).toBe(defaultImage('postgres15'));
    expect(postgresClientImage(16)).toBe(defaultImage('postgres16'));
    expect(postgresClientImage(17)).toBe(defaultImage('postgres17'));
    expect(postgresClientImage(18)).toBe('postgres:18-alpine');
    for (const major of [15, 16, 17]) expect(parseImage(postgresClientImage(major))?.tag).toMatch(new RegExp(`^${major}\\.\\d+-alpine$`));
  });

  it('recognizes image literals (so the scan below can fail)', () => {
    for (const s of ['postgres:15.8-alpine', 'alpine:3.20', 'redis:7.2-alpine', 'valkey/valkey:8.0-alpine', 'ghcr.io/acme/tool:1.2.3', 'x/y:1@sha256:' + 'a'.repeat(64)]) {
      expect(isImageLiteral(s), s).toBe(true);
    }
    for (const s of ['cdk8s-agent-platform:output', 'jaeger-collector.observability.svc:4317', 'data/postgres:5432', 'node:fs', 'redis']) {
      expect(isImageLiteral(s), s).toBe(false);
    }
    expect(isImageTemplate('postgres:')).toBe(true);
    expect(isImageTemplate('cidr:')).toBe(false);
    expect(isImageTemplate('redis://127.0.0.1:')).toBe(false);
    expect(isImageLiteral("pin a digest '@sha256:...'")).toBe(false);
  });

  it('has no image literal in lib/ outside the table', () => {
    const files = sources('lib').filter((f) => f !== TABLE);
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap(imageLiterals)).toEqual([]);
  });

  it('is the table the README shows', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('\n## Default images\n');
    const section = readme.slice(readme.indexOf('\n## Default images\n'));
    for (const [name, row] of rows) {
      expect(section, name).toContain(`| \`${name}\` | \`${row.repository}:${row.tag}\` | ${row.digest ? `\`${row.digest}\`` : 'unpinned'} |`);
    }
  });
});
