/**
 * A platform's topology, computed from the synthesized NetworkPolicies (not
 * from the declaration, so a mismatch shows): which workload may open a
 * connection to which, on which port, and what each may reach or be reached
 * by outside the namespace. An edge needs both sides: the caller's egress
 * and the callee's ingress (for peers outside the namespace only our side is
 * known). DNS, open to every pod, is left out.
 */

type Labels = Readonly<Record<string, string>>;
type Rec = Record<string, unknown>;

/** A node of the picture. */
export interface TopologyNode {
  readonly id: string;
  readonly label: string;
  /** `agent`, `frontend`, `store`, `job`, `external`, or `source` (a caller outside the namespace). Edges of a job, and a store's edges out of the namespace, are their own props' egress. */
  readonly kind: string;
}

/** An edge of the picture. */
export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly ports: readonly number[];
  /** `declared` (allowed and declared), `undeclared` (allowed, not declared), `blocked` (declared, not allowed). */
  readonly status: 'declared' | 'undeclared' | 'blocked';
}

/** The topology of one platform. */
export interface Topology {
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

/** What the platform declared. */
export interface DeclaredTopology {
  readonly namespace: string;
  /** Components; an external one with `outsideId`, the node id of where its egress goes (`cidr:<block>` or `pods:<ns>/<labels JSON>`). */
  readonly components: readonly { readonly name: string; readonly kind: string; readonly outsideId?: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly port: number }[];
}

interface Pod {
  readonly name: string;
  readonly labels: Labels;
  readonly ports: readonly number[];
}

interface Policy {
  readonly selector: Labels;
  readonly types: readonly string[];
  readonly ingress: readonly Rec[];
  readonly egress: readonly Rec[];
}

const rec = (v: unknown): Rec => (v && typeof v === 'object' ? (v as Rec) : {});
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
const matches = (selector: Labels, labels: Labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);

const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

function podsOf(objects: readonly Rec[], ns: string): Pod[] {
  return objects.flatMap((o) => {
    const meta = rec(o.metadata);
    if (meta.namespace !== ns) return [];
    // A CloudNativePG Cluster's instances: the operator makes them with the Cluster's inherited labels.
    if (o.kind === 'Cluster' && String(o.apiVersion).startsWith('postgresql.cnpg.io/')) {
      return [{ name: String(meta.name), labels: rec(rec(rec(o.spec).inheritedMetadata).labels) as Labels, ports: [5432] }];
    }
    if (!WORKLOAD_KINDS.has(String(o.kind))) return [];
    const spec = rec(o.spec);
    const template = o.kind === 'CronJob' ? rec(rec(rec(spec.jobTemplate).spec).template) : rec(spec.template);
    const containers = arr(rec(template.spec).containers);
    const ports = containers.flatMap((c) => arr(c.ports).map((p) => Number(p.containerPort)));
    return [{ name: String(meta.name), labels: rec(rec(template.metadata).labels) as Labels, ports }];
  });
}

function policiesOf(objects: readonly Rec[], ns: string): Policy[] {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy' && rec(o.metadata).namespace === ns)
    .map((o) => {
      const spec = rec(o.spec);
      return { selector: rec(rec(spec.podSelector).matchLabels) as Labels, types: (spec.policyTypes as string[]) ?? ['Ingress'], ingress: arr(spec.ingress), egress: arr(spec.egress) };
    });
}

const portNumbers = (rule: Rec): number[] | 'all' => (arr(rule.ports).length === 0 ? 'all' : arr(rule.ports).map((p) => Number(p.port)));
const allows = (rule: Rec, port: number) => {
  const ports = portNumbers(rule);
  return ports === 'all' || ports.includes(port);
};

/** Whether `peer` (a NetworkPolicy peer) selects pods with `labels` in `ns`, the policy's namespace being `policyNs`. */
function peerSelects(peer: Rec, labels: Labels, ns: string, policyNs: string): boolean {
  if (peer.ipBlock) return false;
  const nsSel = peer.namespaceSelector ? (rec(rec(peer.namespaceSelector).matchLabels) as Labels) : undefined;
  const nsOk = nsSel ? matches(nsSel, { 'kubernetes.io/metadata.name': ns }) : ns === policyNs;
  const podSel = peer.podSelector ? (rec(rec(peer.podSelector).matchLabels) as Labels) : {};
  return nsOk && matches(podSel, labels);
}

/** The policies that select `pod` for `direction`. */
const applyingTo = (policies: readonly Policy[], pod: Pod, direction: 'Ingress' | 'Egress') => policies.filter((p) => p.types.includes(direction) && matches(p.selector, pod.labels));

/** Whether a pod that the `applying` policies select for `direction` may send to (egress) or receive from (ingress) pods with `other` labels on `port`. */
function permits(applying: readonly Policy[], direction: 'Ingress' | 'Egress', other: Labels, port: number, ns: string): boolean {
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (direction === 'Ingress' ? p.ingress : p.egress).some((rule) => {
      const peers = arr(direction === 'Ingress' ? rule.from : rule.to);
      return allows(rule, port) && (peers.length === 0 || peers.some((peer) => peerSelects(peer, other, ns, ns)));
    }),
  );
}

/** A peer outside the namespace, as a node id and label. */
function outsidePeer(peer: Rec, ns: string): { id: string; label: string } | undefined {
  const block = rec(peer.ipBlock);
  if (block.cidr) return { id: `cidr:${block.cidr}`, label: block.cidr === '0.0.0.0/0' ? 'internet' : String(block.cidr) };
  const nsName = rec(rec(peer.namespaceSelector).matchLabels)['kubernetes.io/metadata.name'];
  if (nsName === undefined || nsName === ns) return undefined;
  const pods = rec(rec(peer.podSelector).matchLabels);
  const app = pods['app.kubernetes.io/name'] ?? pods['k8s-app'] ?? Object.values(pods)[0];
  return { id: `pods:${nsName}/${JSON.stringify(pods)}`, label: `${nsName}/${app ?? '*'}` };
}

/** The edges the policies allow between pods of the namespace, and to and from peers outside it. */
export function allowedEdges(objects: readonly object[], ns: string): { pods: Pod[]; edges: Map<string, { from: string; to: string; ports: number[] }>; outside: Map<string, string> } {
  const objs = objects as Rec[];
  const pods = podsOf(objs, ns);
  const policies = policiesOf(objs, ns);
  const edges = new Map<string, { from: string; to: string; ports: number[] }>();
  const add = (from: string, to: string, port: number) => {
    const e = edges.get(`${from}>${to}`) ?? { from, to, ports: [] };
    if (!e.ports.includes(port)) e.ports.push(port);
    edges.set(`${from}>${to}`, e);
  };
  // Which policies select a pod depends on the pod alone: found once per pod, not per pair and port.
  const egress = pods.map((a) => applyingTo(policies, a, 'Egress'));
  const ingress = pods.map((b) => applyingTo(policies, b, 'Ingress'));
  pods.forEach((a, i) => {
    pods.forEach((b, j) => {
      if (a === b) return;
      for (const port of b.ports) if (permits(egress[i]!, 'Egress', b.labels, port, ns) && permits(ingress[j]!, 'Ingress', a.labels, port, ns)) add(a.name, b.name, port);
    });
  });
  const outside = new Map<string, string>();
  for (const p of policies) {
    for (const pod of pods.filter((x) => matches(p.selector, x.labels))) {
      for (const [rules, key, out] of [[p.egress, 'to', true], [p.ingress, 'from', false]] as const) {
        for (const rule of rules) {
          for (const peer of arr(rule[key])) {
            const o = outsidePeer(peer, ns);
            if (!o || rec(rec(peer.podSelector).matchLabels)['k8s-app'] === 'kube-dns') continue;
            outside.set(o.id, o.label);
            const ports = portNumbers(rule);
            for (const port of ports === 'all' ? [0] : ports) (out ? add(pod.name, o.id, port) : add(o.id, pod.name, port));
          }
        }
      }
    }
  }
  return { pods, edges, outside };
}

/** The picture's model: the allowed edges, each marked against the declaration. */
export function buildTopology(objects: readonly object[], d: DeclaredTopology): Topology {
  const { pods, edges, outside } = allowedEdges(objects, d.namespace);
  const kindOf = new Map(d.components.map((c) => [c.name, c.kind]));
  const nodes = new Map<string, TopologyNode>();
  // A job component's workload may carry a suffix (a MigrationJob's version).
  const jobs = d.components.filter((c) => c.kind === 'job').map((c) => c.name);
  const kindOfPod = (name: string) => kindOf.get(name) ?? (jobs.some((j) => name === j || name.startsWith(`${j}-`)) ? 'job' : 'workload');
  for (const p of pods) nodes.set(p.name, { id: p.name, label: p.name, kind: kindOfPod(p.name) });
  // External components are known by where their egress goes: a CIDR block, the internet, or pods elsewhere.
  const externalId = new Map<string, string>();
  for (const c of d.components.filter((x) => x.kind === 'external')) externalId.set(c.name, c.outsideId ?? `external:${c.name}`);
  const namesAt = (id: string) => [...externalId].filter(([, v]) => v === id).map(([k]) => k);
  const targets = new Set([...edges.values()].map((e) => e.to));
  for (const [id, label] of outside) {
    const names = namesAt(id);
    nodes.set(id, { id, label: names.length > 0 ? `${names.join(', ')} (${label})` : label, kind: targets.has(id) ? 'external' : 'source' });
  }
  const declared = new Map(d.edges.map((e) => [`${e.from}>${externalId.get(e.to) ?? e.to}`, e]));
  // A store's egress out of the namespace (the API server, backup storage) is its own props', as a job's is;
  // a model gateway's (the domain egress enforcement point, or the providers) is its providers'.
  const ownProps = (e: { from: string; to: string }) =>
    [nodes.get(e.from)?.kind, nodes.get(e.to)?.kind].some((k) => k === 'source' || k === 'job') || (['store', 'model-gateway'].includes(nodes.get(e.from)?.kind ?? '') && outside.has(e.to));
  const out: TopologyEdge[] = [...edges.values()].map((e) => ({ ...e, ports: [...e.ports].sort((a, b) => a - b), status: declared.has(`${e.from}>${e.to}`) || ownProps(e) ? 'declared' : 'undeclared' }));
  for (const [key, e] of declared) {
    if (edges.has(key)) continue;
    const to = externalId.get(e.to) ?? e.to;
    if (!nodes.has(to)) nodes.set(to, { id: to, label: e.to, kind: kindOf.get(e.to) ?? 'workload' });
    out.push({ from: e.from, to, ports: [e.port], status: 'blocked' });
  }
  return { nodes: [...nodes.values()], edges: out };
}

const SHAPES: Record<string, [string, string]> = { job: ['[[', ']]'], agent: ['[', ']'], frontend: ['[/', '/]'], store: ['[(', ')]'], external: ['{{', '}}'], 'model-gateway': ['[/', '\\]'], source: ['([', '])'], workload: ['[', ']'] };

/** The topology as a Mermaid flowchart (GitHub and GitLab render it). */
export function renderMermaid(t: Topology, title: string): string {
  const ids = new Map(t.nodes.map((n, i) => [n.id, `n${i}`]));
  const esc = (s: string) => s.replace(/"/g, '#quot;');
  const lines = ['---', `title: ${esc(title)}`, '---', 'flowchart LR'];
  for (const n of t.nodes) {
    const [open, close] = SHAPES[n.kind] ?? SHAPES.workload!;
    lines.push(`  ${ids.get(n.id)}${open}"${esc(n.label)}"${close}`);
  }
  const styles: string[] = [];
  t.edges.forEach((e, i) => {
    const ports = e.ports.map((p) => (p === 0 ? 'any port' : String(p))).join(', ');
    const [from, to] = [ids.get(e.from), ids.get(e.to)];
    if (e.status === 'blocked') {
      lines.push(`  ${from} -. "${ports} declared, not allowed" .-> ${to}`);
      styles.push(`  linkStyle ${i} stroke:#d00,stroke-dasharray:4`);
    } else if (e.status === 'undeclared') {
      lines.push(`  ${from} ==>|"${ports} allowed, not declared"| ${to}`);
      styles.push(`  linkStyle ${i} stroke:#e80`);
    } else {
      lines.push(`  ${from} -->|"${ports}"| ${to}`);
    }
  });
  return `${[...lines, ...styles].join('\n')}\n`;
}
