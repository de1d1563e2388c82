import { DEPENDS_ON_ANNOTATION, INGRESS_FROM_ANNOTATION } from '../internal/annotations.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { admits, isolating, portsMatch, ruleAdmits, type Endpoint, type Peer, type Policy, type TargetPort } from '../internal/netpol.js';
import { describeSelector, isEverything, matches, type Selector } from '../internal/selectors.js';
import { arr, rec, str } from '../internal/values.js';
import { NAMESPACE_NAME_LABEL, parseSource, type Bundle, type TrafficSource, type Workload } from './bundle.js';
import { monitoredServices, routeBackends, serviceSelector, servicePorts } from './routing.js';

/**
 * Network invariants, with NetworkPolicy semantics from `internal/netpol.ts`:
 *
 * - NET-03: a policy selects at least one pod (a `{}` selector is exempt: it
 *   covers whatever the namespace runs); every peer resolves (a
 *   namespaceSelector matches a namespace, where namespaces outside the
 *   bundle carry only `kubernetes.io/metadata.name`; a podSelector-only peer
 *   matches a pod of the policy's namespace, in the bundle or declared by a
 *   depends-on entry or a `Pod/<app>` external reference); and a rule never
 *   mixes a namespaceSelector-only peer with a podSelector-only peer, which
 *   ORs what was meant to be ANDed.
 * - NET-02: every namespace with pods has policies with podSelector `{}` for
 *   Ingress and Egress; every egress-isolated pod may reach DNS on UDP and
 *   TCP 53: kube-dns pods in kube-system, or a deliberately chosen resolver
 *   (an ipBlock such as node-local DNS, or pods of a namespace selected by a
 *   namespaceSelector that resolves); every declared dependency is admitted
 *   by an egress rule on the source and an ingress rule on the destination.
 * - NET-01: every pod template is isolated for ingress and egress.
 *
 * Declared dependencies ("edges"):
 * - `cdk8s-agent-platform.dev/depends-on: "<ns>/<app>:<port>,..."` on a pod
 *   template (or its workload): the workload calls pods labelled
 *   `app.kubernetes.io/name: <app>` in `<ns>` on `<port>` (TCP).
 * - Ingress and HTTPRoute backends: the controller reaches the backend
 *   Service's pods on its targetPort, when the controller's namespace is
 *   known from `cdk8s-agent-platform.dev/ingress-from: "<ns>[/<app>]"` on the
 *   route or on the backend workload.
 * - ServiceMonitor endpoints: Prometheus reaches the selected Services' pods
 *   on the endpoint port, when Prometheus is known from the same annotation
 *   on the ServiceMonitor or from the one Prometheus object in the bundle.
 *
 * Pods outside the bundle whose labels are unknown (a controller known only
 * by namespace) get the benefit of the doubt from a non-empty podSelector.
 */

const DNS: Endpoint = {
  ns: 'kube-system',
  labels: { 'k8s-app': 'kube-dns' },
  ports: [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
  ],
};

const APP_LABEL = 'app.kubernetes.io/name';

function describePeer(p: Peer): string {
  const parts: string[] = [];
  if (p.namespaces) parts.push(`namespaceSelector ${describeSelector(p.namespaces)}`);
  if (p.pods) parts.push(`podSelector ${describeSelector(p.pods)}`);
  return parts.join(' + ');
}

/** Namespaces a namespaceSelector matches, among those known plus those it names by `kubernetes.io/metadata.name`. */
function matchedNamespaces(b: Bundle, sel: Selector): string[] {
  const candidates = new Set(b.knownNamespaces);
  for (const r of sel.requirements) if (r.key === NAMESPACE_NAME_LABEL && r.op === 'In') for (const v of r.values) candidates.add(v);
  return [...candidates].filter((ns) => matches(sel, b.nsLabels(ns)));
}

/** {@link matchedNamespaces}, memoised per selector: a thousand policies often repeat one namespace peer. */
function namespaceMatcher(b: Bundle): (sel: Selector) => string[] {
  const memo = new Map<string, string[]>();
  return (sel) => {
    const key = JSON.stringify(sel.requirements);
    let hit = memo.get(key);
    if (!hit) memo.set(key, (hit = matchedNamespaces(b, sel)));
    return hit;
  };
}

/**
 * Pods outside the bundle that are declared to exist, per namespace (`''`:
 * any namespace), for resolving podSelector peers: destinations of
 * depends-on entries, and `Pod/<app>` external references.
 */
function declaredPods(b: Bundle): Map<string, Endpoint[]> {
  const out = new Map<string, Endpoint[]>();
  const add = (ns: string, app: string) => {
    const list = out.get(ns) ?? [];
    list.push({ ns, labels: { [APP_LABEL]: app }, ports: [] });
    out.set(ns, list);
  };
  for (const d of b.dependencies) if (d.to) add(d.to.ns, d.to.app);
  for (const [ns, apps] of b.externalPods) for (const app of apps) add(ns, app);
  return out;
}

/** AgentNamespace's API-server policy selects the pods a workload's `rbac` grants API access. */
const API_ACCESS_LABEL = 'cdk8s-agent-platform.dev/api-access';

function net03Fix(selector: Selector): string {
  if (selector.requirements.some((r) => r.key === API_ACCESS_LABEL && r.op === 'In' && r.values.includes('true'))) {
    return `this is the API-server egress policy of AgentNamespace's apiServerEgress, and no workload in the namespace is granted API access (its pods would carry ${API_ACCESS_LABEL}: "true"); grant one RBAC access (SecureAgentDeployment rbac) or remove apiServerEgress`;
  }
  return 'select the workload pods by their stable labels, in their namespace';
}

function checkPolicies(b: Bundle): void {
  const virtual = declaredPods(b);
  const namespacesOf = namespaceMatcher(b);
  for (const [ns, list] of b.policies) {
    for (const p of list) {
      const o = p.obj;
      if (!p.podSelector) {
        b.sink.add(o, 'NET-03', 'spec.podSelector', 'NetworkPolicy podSelector is missing or invalid, so it selects nothing', 'set spec.podSelector (use {} for every pod of the namespace)');
      } else if (!isEverything(p.podSelector) && b.pods.select(ns, p.podSelector).length === 0) {
        b.sink.add(o, 'NET-03', 'spec.podSelector', `NetworkPolicy podSelector ${describeSelector(p.podSelector)} selects no pod template in namespace ${ns}`, net03Fix(p.podSelector));
      }
      for (const [rules, key] of [[p.ingressRules, 'from'], [p.egressRules, 'to']] as const) {
        for (const rule of rules) {
          const peers = rule.peers ?? [];
          const nsOnly = peers.findIndex((x) => x.namespaces && !x.pods);
          const podOnly = peers.findIndex((x) => x.pods && !x.namespaces);
          if (nsOnly >= 0 && podOnly >= 0) {
            b.sink.add(
              o,
              'NET-03',
              join(rule.path, key),
              `peers ${key}[${nsOnly}] (${describePeer(peers[nsOnly]!)}) and ${key}[${podOnly}] (${describePeer(peers[podOnly]!)}) are ORed, so the rule admits every pod of those namespaces and any pod of ${ns} with those labels`,
              'write namespaceSelector and podSelector in one peer so they are ANDed, selecting the namespace by kubernetes.io/metadata.name',
            );
          }
          for (const peer of peers) {
            if (peer.invalid) {
              b.sink.add(o, 'NET-03', peer.path, 'peer has an invalid selector, so it matches nothing', 'fix the matchExpressions operator (In, NotIn, Exists, DoesNotExist)');
            } else if (peer.namespaces) {
              if (namespacesOf(peer.namespaces).length === 0) {
                b.sink.add(
                  o,
                  'NET-03',
                  join(peer.path, 'namespaceSelector'),
                  `namespaceSelector ${describeSelector(peer.namespaces)} matches no namespace: only ${NAMESPACE_NAME_LABEL} is set automatically, and no Namespace in the bundle carries these labels`,
                  `select the namespace by ${NAMESPACE_NAME_LABEL}`,
                );
              }
            } else if (peer.pods) {
              const sel = peer.pods;
              const declared = [...(virtual.get(ns) ?? []), ...(virtual.get('') ?? [])];
              if (b.pods.select(ns, sel).length === 0 && !declared.some((e) => matches(sel, e.labels ?? {}))) {
                b.sink.add(
                  o,
                  'NET-03',
                  join(peer.path, 'podSelector'),
                  `podSelector ${describeSelector(sel)} matches no pod template in namespace ${ns} (a podSelector alone selects pods of the policy's namespace)`,
                  `add a namespaceSelector in the same peer if the pods live elsewhere; declare pods outside the bundle with ${DEPENDS_ON_ANNOTATION} or a Pod/<app> external reference`,
                );
              }
            }
          }
        }
      }
    }
  }
}

function checkDefaultDeny(b: Bundle): void {
  for (const ns of b.pods.namespaces()) {
    if (!b.pods.has(ns)) continue;
    const list = b.policies.get(ns) ?? [];
    const all = list.filter((p) => p.podSelector && isEverything(p.podSelector));
    const missing = (['ingress', 'egress'] as const).filter((d) => !all.some((p) => p[d]));
    if (missing.length === 0) continue;
    b.sink.add(
      b.namespaceSubject(ns),
      'NET-02',
      'metadata.name',
      `namespace ${ns} has pods but no default-deny NetworkPolicy for ${missing.join(' and ')}, so pods no policy selects are open`,
      `add a NetworkPolicy with podSelector {} and policyTypes ${missing.map((d) => (d === 'ingress' ? 'Ingress' : 'Egress')).join(', ')}, then allow what each workload needs`,
    );
  }
}

function allowsDns(p: Policy, protocol: string, b: Bundle, namespacesOf: (sel: Selector) => string[]): boolean {
  const target: TargetPort = { number: 53, protocol };
  return p.egressRules.some(
    (r) =>
      ruleAdmits(r, p.ns, DNS, target, DNS, b.nsLabels) ||
      // Another resolver, chosen on purpose: a CIDR, or pods of a namespace that exists.
      (portsMatch(r.ports, target, DNS) && (r.peers ?? []).some((peer) => peer.ipBlock || (peer.namespaces !== undefined && namespacesOf(peer.namespaces).length > 0))),
  );
}

function checkDns(b: Bundle): void {
  const namespacesOf = namespaceMatcher(b);
  const memo = new Map<Policy, Map<string, boolean>>();
  const dns = (p: Policy, proto: string): boolean => {
    let byProto = memo.get(p);
    if (!byProto) memo.set(p, (byProto = new Map()));
    let hit = byProto.get(proto);
    if (hit === undefined) byProto.set(proto, (hit = allowsDns(p, proto, b, namespacesOf)));
    return hit;
  };
  for (const [ns, list] of b.policies) {
    const wide = list.filter((p) => p.egress && p.podSelector && isEverything(p.podSelector));
    for (const p of list) {
      if (!p.egress || !p.podSelector) continue;
      const selected = b.pods.select(ns, p.podSelector);
      const missing = ['UDP', 'TCP'].filter((proto) => {
        if (dns(p, proto) || wide.some((w) => dns(w, proto))) return false;
        return !(selected.length > 0 && selected.every((w) => (b.policiesFor.get(w) ?? []).some((q) => q.egress && dns(q, proto))));
      });
      if (missing.length === 0) continue;
      b.sink.add(
        p.obj,
        'NET-02',
        'spec.egress',
        missing.length === 2
          ? 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on UDP or TCP 53, so name lookups fail'
          : `NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on ${missing[0]} 53${missing[0] === 'TCP' ? ', so large responses (truncated UDP) fail' : ''}`,
        `allow egress to one peer {namespaceSelector: {matchLabels: {${NAMESPACE_NAME_LABEL}: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}} on UDP and TCP 53`,
      );
    }
  }
}

function checkIsolation(b: Bundle): void {
  for (const w of b.workloads) {
    const policies = b.policiesFor.get(w) ?? [];
    const missing = (['ingress', 'egress'] as const).filter((d) => !policies.some((p) => p[d]));
    if (missing.length === 0) continue;
    b.sink.add(
      w.obj,
      'NET-01',
      join(w.t.metaPath, 'labels'),
      `pods are not isolated for ${missing.join(' or ')}: no NetworkPolicy with that policy type selects them, so they ${missing.length === 2 ? 'accept and open any connection' : missing[0] === 'ingress' ? 'accept any connection' : 'can open any connection'}`,
      'select the pods with a NetworkPolicy for Ingress and Egress (a namespace default-deny covers every pod)',
    );
  }
}

function sourceEndpoint(s: TrafficSource): Endpoint {
  return { ns: s.ns, ...(s.app !== undefined ? { labels: { [APP_LABEL]: s.app } } : {}), ports: [] };
}

function policyNames(b: Bundle, w: Workload, direction: 'ingress' | 'egress'): string {
  const names = isolating(b.policiesFor.get(w) ?? [], w.endpoint, direction).map((p) => `"${p.obj.name}"`);
  return names.join(', ');
}

function describePort(t: TargetPort): string {
  return `${t.number ?? `"${t.name}"`}/${t.protocol}`;
}

/** Reports an ingress edge `src` → `dst` on `target` that no policy isolating `dst` admits. */
function checkIngressEdge(b: Bundle, src: Endpoint, srcText: string, dst: Workload, target: TargetPort, why: string): void {
  if (admits('ingress', b.policiesFor.get(dst) ?? [], src, dst.endpoint, target, b.nsLabels)) return;
  b.sink.add(
    dst.obj,
    'NET-02',
    join(dst.t.metaPath, 'labels'),
    `ingress from ${srcText} on ${describePort(target)} (${why}) is not allowed by the NetworkPolicies selecting these pods (${policyNames(b, dst, 'ingress')})`,
    'add an ingress rule admitting that source on that port, with namespace and pod selectors in one peer',
  );
}

function checkEdges(b: Bundle): void {
  for (const d of b.dependencies) {
    const src = d.from;
    if (!d.to) {
      b.sink.add(src.obj, 'NET-02', d.path, `depends-on entry ${JSON.stringify(d.entry)} is not <namespace>/<app>:<port>`, 'write entries like "data/postgres:5432", comma-separated');
      continue;
    }
    const to = d.to;
    const target: TargetPort = typeof to.port === 'number' ? { number: to.port, protocol: 'TCP' } : { name: to.port, protocol: 'TCP' };
    const dsts = b.pods.select(to.ns, { requirements: [{ key: APP_LABEL, op: 'In', values: [to.app] }] });
    const dstEndpoints: Endpoint[] = dsts.length > 0 ? dsts.map((w) => w.endpoint) : [{ ns: to.ns, labels: { [APP_LABEL]: to.app }, ports: [] }];
    const srcPolicies = b.policiesFor.get(src) ?? [];
    if (!dstEndpoints.every((e) => admits('egress', srcPolicies, src.endpoint, e, target, b.nsLabels))) {
      b.sink.add(
        src.obj,
        'NET-02',
        d.path,
        `egress to ${d.entry} (declared in depends-on) is not allowed by the NetworkPolicies selecting these pods (${policyNames(b, src, 'egress')})`,
        `add an egress rule to one peer {namespaceSelector: {matchLabels: {${NAMESPACE_NAME_LABEL}: ${to.ns}}}, podSelector: {matchLabels: {${APP_LABEL}: ${to.app}}}} on TCP ${to.port}`,
      );
    }
    for (const dst of dsts) checkIngressEdge(b, src.endpoint, `${src.ns}/${src.obj.name}`, dst, target, `depends-on of ${src.obj.kind} "${src.obj.name}"`);
  }

  // The ingress controller → backend pods.
  for (const { route, backend, resolved } of routeBackends(b)) {
    const port = resolved.port;
    if (!port || port.targetPort === undefined) continue;
    for (const dst of resolved.workloads) {
      const source = parseSource(route.annotations[INGRESS_FROM_ANNOTATION] ?? dst.obj.annotations[INGRESS_FROM_ANNOTATION] ?? dst.t.annotations[INGRESS_FROM_ANNOTATION]);
      if (!source) continue;
      const target: TargetPort = typeof port.targetPort === 'number' ? { number: port.targetPort, protocol: port.protocol } : { name: port.targetPort, protocol: port.protocol };
      checkIngressEdge(b, sourceEndpoint(source), `the ingress controller in ${source.ns}`, dst, target, `${route.kind} "${route.name}" routes ${backend.route} to Service "${backend.service}"`);
    }
  }

  // Prometheus → metrics ports.
  const proms = b.byKind.get('Prometheus') ?? [];
  for (const sm of b.byKind.get('ServiceMonitor') ?? []) {
    const annotated = parseSource(sm.annotations[INGRESS_FROM_ANNOTATION]);
    const prom: ObjectInfo | undefined = proms.length === 1 ? proms[0] : undefined;
    const src: Endpoint | undefined = annotated
      ? sourceEndpoint(annotated)
      : prom
        ? { ns: prom.ns, labels: { [APP_LABEL]: 'prometheus', prometheus: prom.name, 'app.kubernetes.io/instance': prom.name }, ports: [] }
        : undefined;
    if (!src) continue;
    const { services } = monitoredServices(b, sm);
    const endpoints = arr(rec(sm.manifest.spec)?.endpoints).map((e) => str(rec(e)?.port));
    for (const svc of services) {
      for (const name of endpoints) {
        const sp = name === undefined ? undefined : servicePorts(svc).find((p) => p.name === name);
        if (!sp || sp.targetPort === undefined) continue;
        const target: TargetPort = typeof sp.targetPort === 'number' ? { number: sp.targetPort, protocol: sp.protocol } : { name: sp.targetPort, protocol: sp.protocol };
        const sel = serviceSelector(svc);
        if (!sel) continue;
        for (const dst of b.pods.select(svc.ns, sel)) checkIngressEdge(b, src, `Prometheus in ${src.ns}`, dst, target, `ServiceMonitor "${sm.name}" scrapes port "${String(name)}" of Service "${svc.name}"`);
      }
    }
  }
}

/** Runs NET-01, NET-02 and NET-03. */
export function checkNetwork(b: Bundle): void {
  checkPolicies(b);
  checkDefaultDeny(b);
  checkDns(b);
  checkIsolation(b);
  checkEdges(b);
}
