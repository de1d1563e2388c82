import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentPlatform, AgentPlatformApp, enableVerification, NODE_COLORS, renderSvg, type AgentPlatformProps, type Topology } from '../../lib/index.js';
import type { Obj } from '../util.js';
import { fakeRedis } from './fake-store.js';

const shop: AgentPlatformProps = {
  name: 'shop',
  namespace: 'shop',
  components: {
    'shop-ui': { kind: 'frontend', props: { image: 'registry.example.com/shop-ui:2.0.0' } },
    'shop-api': { kind: 'agent', props: { image: 'registry.example.com/shop-api:1.4.0' }, dependsOn: ['cache', 'llm', 'db'] },
    cache: { kind: 'store', create: fakeRedis },
    llm: { kind: 'external', host: 'api.openai.com', port: 443, destination: 'internet' },
    db: { kind: 'external', host: 'db.example.internal', port: 5432, destination: { cidr: '10.20.0.0/16' } },
  },
  hosts: [
    {
      host: 'shop.example.com',
      via: { type: 'ingress', tls: { secretName: 'shop-tls' } },
      paths: [
        { path: '/', component: 'shop-ui' },
        { path: '/api', component: 'shop-api' },
      ],
    },
  ],
};
const EXTERNAL = ['Secret/shop/cache-auth', 'Secret/shop/shop-tls'];

const out = mkdtempSync(join(tmpdir(), 'cap-topology-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function synthApp(): AgentPlatform {
  const app = new AgentPlatformApp({ outdir: out });
  enableVerification(app, { external: EXTERNAL, warn: () => undefined });
  const platform = new AgentPlatform(new Chart(app, 'shop'), 'Platform', shop);
  app.synth();
  return platform;
}

/** Pixels of a PNG that are not (near) white. */
function inkedPixels(png: PNG): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 240 || png.data[i + 1]! < 240 || png.data[i + 2]! < 240) n++;
  return n;
}

/** Pixels of exactly the colour `hex` (`#rrggbb`). */
function pixelsOf(png: PNG, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) n++;
  return n;
}

/** Renders an SVG file in headless Chromium and returns the screenshot. */
function screenshot(svgFile: string, width: number, height: number): PNG {
  const png = svgFile.replace(/\.svg$/, '.png');
  execFileSync(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars', `--window-size=${width},${height}`, `--screenshot=${png}`, `file://${svgFile}`],
    { stdio: 'pipe', timeout: 60_000 },
  );
  return PNG.sync.read(readFileSync(png));
}

describe('the platform topology', () => {
  const platform = synthApp();

  it('is written next to the chart YAML, as Mermaid and SVG', () => {
    expect(readdirSync(out).sort()).toEqual(['shop.k8s.yaml', 'shop.topology.mmd', 'shop.topology.svg']);
  });

  it('draws the edges the NetworkPolicies allow, with their ports (snapshot)', () => {
    const mermaid = readFileSync(join(out, 'shop.topology.mmd'), 'utf8');
    expect(mermaid).toMatchSnapshot();
    const lines = mermaid.split('\n');
    const id = (label: string) => lines.find((l) => l.includes(`"${label}"`))!.trim().match(/^(n\d+)/)![1];
    expect(lines).toContain(`  ${id('shop-api')} -->|"6379"| ${id('cache')}`);
    expect(lines).toContain(`  ${id('shop-api')} -->|"443"| ${id('llm (internet)')}`);
    expect(lines).toContain(`  ${id('shop-api')} -->|"5432"| ${id('db (10.20.0.0/16)')}`);
    expect(lines).toContain(`  ${id('ingress-nginx/ingress-nginx')} -->|"8080"| ${id('shop-ui')}`);
    // Nothing between the UI and the API or the cache: no dependency, no edge.
    expect(mermaid).not.toMatch(new RegExp(`${id('shop-ui')} -`));
    expect(mermaid).not.toContain('not declared');
    expect(mermaid).not.toContain('not allowed');
  });

  it('shows a mismatch between the declaration and the policies', () => {
    const objs = Testing.synth(Chart.of(platform)) as Obj[];
    const cache = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'cache')!;
    const ui = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'shop-ui')!;
    // The cache no longer admits the API, and the UI may reach the cache.
    cache.spec.ingress = [{ from: [{ podSelector: { matchLabels: ui.spec.podSelector.matchLabels } }], ports: [{ port: 6379, protocol: 'TCP' }] }];
    ui.spec.egress = [{ to: [{ podSelector: { matchLabels: cache.spec.podSelector.matchLabels } }], ports: [{ port: 6379, protocol: 'TCP' }] }];
    const t = platform.topology(objs);
    expect(t.edges.filter((e) => e.status !== 'declared').map((e) => `${e.from} -> ${e.to} ${e.ports.join(',')} ${e.status}`)).toEqual([
      'shop-ui -> cache 6379 undeclared',
      'shop-api -> cache 6379 blocked',
    ]);
  });

  it('renders the SVG in headless Chromium to a picture that is not blank', () => {
    const svg = readFileSync(join(out, 'shop.topology.svg'), 'utf8');
    const [, w, h] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number) as [number, number, number];
    const picture = screenshot(join(out, 'shop.topology.svg'), w, h);
    expect(picture.width).toBe(w);
    // Boxes, edges and text: a few percent of the picture is drawn on, and
    // each kind's boxes are there in their fill colour (an XML error page,
    // also not blank, has none of them).
    expect(inkedPixels(picture) / (w * h)).toBeGreaterThan(0.02);
    for (const kind of ['agent', 'frontend', 'store', 'external', 'source']) expect(pixelsOf(picture, NODE_COLORS[kind]!), kind).toBeGreaterThan(1000);
    // The check can fail: an empty topology renders to white only.
    const empty: Topology = { nodes: [], edges: [] };
    writeFileSync(join(out, 'empty.svg'), renderSvg(empty, '').replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(inkedPixels(screenshot(join(out, 'empty.svg'), w, h))).toBe(0);
  }, 120_000);
});
