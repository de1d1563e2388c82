import { Graph, layout } from '@dagrejs/dagre';
import type { Topology } from './topology.js';

/**
 * The topology as a standalone SVG. The layout is dagre's
 * (`@dagrejs/dagre`, the maintained fork of dagre, the layered layout
 * Mermaid itself uses): it runs synchronously, as a cdk8s synth does, where
 * elkjs only offers a Promise API. The drawing is plain SVG: boxes, edges
 * along dagre's points, port labels, and a legend for declared, undeclared
 * and blocked edges.
 */

/** Fill colours of the node kinds (exported for the rendering test). */
export const NODE_COLORS: Record<string, string> = { agent: '#dbeafe', frontend: '#dcfce7', store: '#fef3c7', job: '#fce7f3', external: '#f3e8ff', 'model-gateway': '#e0e7ff', source: '#e5e7eb', workload: '#f1f5f9' };
const EDGE = { declared: '#334155', undeclared: '#ea580c', blocked: '#dc2626' } as const;
const FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="13"';
const TITLE_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="16" font-weight="bold"';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Laid-out graphs by their input (node ids and sizes, edges, in order): the
 * layout is a pure function of it, and the charts of one definition's
 * environments or tiers often draw the same graph. Read only once laid out;
 * the oldest entries go first past {@link LAYOUTS_KEPT}.
 */
const layouts = new Map<string, Graph>();
const LAYOUTS_KEPT = 64;

/** The dagre layout of the topology (shared with any earlier identical graph). */
function laidOut(t: Topology): Graph {
  const nodes = t.nodes.map((n) => [n.id, Math.max(110, n.label.length * 7.5 + 24)] as const);
  const key = JSON.stringify([nodes, t.edges.map((e) => [e.from, e.to])]);
  const cached = layouts.get(key);
  if (cached) return cached;
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 90, marginx: 20, marginy: 50 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [id, width] of nodes) g.setNode(id, { width, height: 40 });
  for (const e of t.edges) g.setEdge(e.from, e.to, { width: 80, height: 18, labelpos: 'c' });
  layout(g);
  if (layouts.size >= LAYOUTS_KEPT) layouts.delete(layouts.keys().next().value!);
  layouts.set(key, g);
  return g;
}

/** Renders the SVG document. */
export function renderSvg(t: Topology, title: string): string {
  const g = laidOut(t);
  const graph = g.graph();
  const [width, height] = [Math.ceil((graph.width ?? 200) + 20), Math.ceil((graph.height ?? 100) + 40)];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<defs>${Object.entries(EDGE)
      .map(([k, c]) => `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`)
      .join('')}</defs>`,
    `<text x="20" y="26" ${TITLE_FONT}>${xml(title)}</text>`,
  ];
  for (const e of t.edges) {
    const edge = g.edge(e.from, e.to);
    const points = (edge.points ?? []).map((p: { x: number; y: number }) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const dash = e.status === 'blocked' ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${points}" fill="none" stroke="${EDGE[e.status]}" stroke-width="${e.status === 'undeclared' ? 2.5 : 1.5}"${dash} marker-end="url(#arrow-${e.status})"/>`);
    const label = e.ports.map((p) => (p === 0 ? 'any' : String(p))).join(', ') + (e.status === 'declared' ? '' : e.status === 'blocked' ? ' blocked' : ' undeclared');
    if (edge.x !== undefined && edge.y !== undefined) parts.push(`<text x="${edge.x.toFixed(1)}" y="${(edge.y + 4).toFixed(1)}" text-anchor="middle" ${FONT} fill="${EDGE[e.status]}" stroke="#ffffff" stroke-width="4" paint-order="stroke">${xml(label)}</text>`);
  }
  for (const n of t.nodes) {
    const v = g.node(n.id);
    const [x, y] = [v.x - v.width / 2, v.y - v.height / 2];
    const rx = n.kind === 'store' ? 14 : n.kind === 'external' || n.kind === 'source' ? 20 : 4;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${v.width.toFixed(1)}" height="${v.height}" rx="${rx}" fill="${NODE_COLORS[n.kind] ?? NODE_COLORS.workload}" stroke="#475569"/>`);
    parts.push(`<text x="${v.x.toFixed(1)}" y="${(v.y + 4.5).toFixed(1)}" text-anchor="middle" ${FONT}>${xml(n.label)}</text>`);
  }
  const legend = Object.entries(EDGE).map(([k, c], i) => `<text x="${20 + i * 170}" y="${height - 12}" ${FONT} fill="${c}">— ${k === 'declared' ? 'declared, allowed' : k === 'undeclared' ? 'allowed, undeclared' : 'declared, blocked'}</text>`);
  return `${[...parts, ...legend, '</svg>'].join('\n')}\n`;
}
