import { isIanaServiceName } from '../../core/schemas.js';
import type { CheckId } from '../internal/checks.js';
import { groupOf, refKey, type ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { declaredPorts } from '../internal/pod-templates.js';
import { describeSelector, mapSelector, matches, parseLabelSelector, type Selector } from '../internal/selectors.js';
import { arr, fmt, rec, str, strMap, type Rec } from '../internal/values.js';
import type { Bundle, Workload } from './bundle.js';

/**
 * Selectors and ports that must meet across objects: Services select pods
 * and target declared ports (NET-04), a StatefulSet's governing Service is
 * headless (WKL-02), probes use declared ports (PRB-01, PRB-02), Ingress and
 * HTTPRoute backends exist with the port (NET-06), ServiceMonitors select a
 * Service with the endpoint's port name and a Prometheus selects them
 * (NET-10).
 */

/** One port of a Service. */
export interface ServicePort {
  readonly index: number;
  readonly name?: string;
  readonly port?: number;
  /** `targetPort`, defaulting to `port`. */
  readonly targetPort?: number | string;
  readonly protocol: string;
}

/** The ports of a Service. */
export function servicePorts(svc: ObjectInfo): ServicePort[] {
  return arr(rec(svc.manifest.spec)?.ports).map((raw, index) => {
    const p = rec(raw) ?? {};
    const port = typeof p.port === 'number' ? p.port : undefined;
    const target = typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : port;
    const name = str(p.name);
    return { index, ...(name !== undefined ? { name } : {}), ...(port !== undefined ? { port } : {}), ...(target !== undefined ? { targetPort: target } : {}), protocol: str(p.protocol) ?? 'TCP' };
  });
}

/** The pod selector of a Service, or undefined when it has none (manual Endpoints, ExternalName). */
export function serviceSelector(svc: ObjectInfo): Selector | undefined {
  const spec = rec(svc.manifest.spec);
  const sel = strMap(spec?.selector);
  if (spec?.type === 'ExternalName' || Object.keys(sel).length === 0) return undefined;
  return mapSelector(sel);
}

/** Whether a workload declares the target port (by name, or by number with the protocol). */
export function declares(w: Workload, target: number | string, protocol: string): boolean {
  return w.ports.some((p) => p.protocol === protocol && (typeof target === 'number' ? p.containerPort === target : p.name === target));
}

/** NET-04 on every Service. */
export function checkServices(b: Bundle): void {
  for (const svc of b.byKind.get('Service') ?? []) {
    const ports = servicePorts(svc);
    for (const p of ports) {
      if (p.name !== undefined && !isIanaServiceName(p.name)) {
        b.sink.add(svc, 'NET-04', join('spec.ports', p.index, 'name'), `Service port name ${fmt(p.name)} is not a valid IANA service name`, "use at most 15 lowercase letters, digits and '-', with a letter, like 'http'");
      }
      if (typeof p.targetPort === 'string' && !isIanaServiceName(p.targetPort)) {
        b.sink.add(svc, 'NET-04', join('spec.ports', p.index, 'targetPort'), `targetPort ${fmt(p.targetPort)} is not a valid port name`, 'name the container port with an IANA service name and target that');
      }
    }
    const sel = serviceSelector(svc);
    if (!sel) continue;
    const selected = b.pods.select(svc.ns, sel);
    if (selected.length === 0) {
      b.sink.add(svc, 'NET-04', 'spec.selector', `Service selector ${describeSelector(sel)} matches no pod template in namespace ${svc.ns}, so it has no endpoints`, 'select the pods by their stable labels (app.kubernetes.io/name and instance)');
      continue;
    }
    for (const p of ports) {
      if (p.targetPort === undefined || selected.some((w) => declares(w, p.targetPort!, p.protocol))) continue;
      b.sink.add(
        svc,
        'NET-04',
        join('spec.ports', p.index, 'targetPort'),
        `Service port ${p.name !== undefined ? `"${p.name}"` : String(p.port)} targets ${typeof p.targetPort === 'string' ? `port name "${p.targetPort}"` : `port ${p.targetPort}`}/${p.protocol}, which no selected pod declares (${selected.map((w) => `${w.obj.kind} "${w.obj.name}"`).join(', ')})`,
        'target a containerPort (by name) that the pods declare',
      );
    }
  }
}

/** WKL-02 on every StatefulSet. */
export function checkStatefulSets(b: Bundle): void {
  for (const sts of b.byKind.get('StatefulSet') ?? []) {
    const name = str(rec(sts.manifest.spec)?.serviceName);
    if (name === undefined || name === '') {
      b.sink.add(sts, 'WKL-02', 'spec.serviceName', 'StatefulSet names no governing Service, so its pods get no stable DNS names, got serviceName unset', 'set serviceName to a headless Service selecting the pods');
      continue;
    }
    if (b.isExternal('Service', sts.ns, name)) continue;
    const svc = b.byRef.get(refKey('Service', sts.ns, name))?.[0];
    if (!svc) {
      b.sink.add(sts, 'WKL-02', 'spec.serviceName', `StatefulSet governing Service "${name}" is not in the bundle, so pod DNS names do not resolve`, `add a headless Service "${name}" (clusterIP: None) selecting the pods`);
    } else if (rec(svc.manifest.spec)?.clusterIP !== 'None') {
      b.sink.add(sts, 'WKL-02', 'spec.serviceName', `StatefulSet governing Service "${name}" is not headless, got clusterIP ${fmt(rec(svc.manifest.spec)?.clusterIP)}`, 'set clusterIP: None on the governing Service');
    }
  }
}

/** PRB-01 (liveness, startup) and PRB-02 (readiness): probe ports are declared by the container. */
export function checkProbePorts(b: Bundle): void {
  for (const w of b.workloads) {
    for (const ci of w.t.containers) {
      const ports = declaredPorts(ci.c);
      for (const [field, id] of [['livenessProbe', 'PRB-01'], ['startupProbe', 'PRB-01'], ['readinessProbe', 'PRB-02']] as const) {
        const probe = rec(ci.c[field]);
        if (!probe) continue;
        for (const handler of ['httpGet', 'tcpSocket', 'grpc'] as const) {
          const port = rec(probe[handler])?.port;
          if (typeof port !== 'number' && typeof port !== 'string') continue;
          const ok = ports.some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
          if (!ok) {
            b.sink.add(
              w.obj,
              id as CheckId,
              join(ci.path, field, handler, 'port'),
              `${ci.label} ${field} checks ${typeof port === 'number' ? `port ${port}` : `port name "${port}"`}, which the container does not declare`,
              'probe a port listed in the container ports (by name)',
            );
          }
        }
      }
    }
  }
}

/** A backend reference: a Service and a port (name or number). */
interface Backend {
  readonly ns: string;
  readonly service: string;
  readonly port?: number | string;
  readonly path: string;
  /** `/api` on host x: for messages. */
  readonly route: string;
}

function ingressBackends(ing: ObjectInfo): Backend[] {
  const spec = rec(ing.manifest.spec) ?? {};
  const out: Backend[] = [];
  const add = (raw: unknown, path: string, route: string) => {
    const svc = rec(rec(raw)?.service);
    const name = str(svc?.name);
    if (!svc || !name) return;
    const port = rec(svc.port);
    const value = typeof port?.number === 'number' ? port.number : str(port?.name);
    out.push({ ns: ing.ns, service: name, ...(value !== undefined ? { port: value } : {}), path: join(path, 'service'), route });
  };
  if (spec.defaultBackend) add(spec.defaultBackend, 'spec.defaultBackend', 'the default backend');
  arr(spec.rules).forEach((r, i) => {
    const rule = rec(r) ?? {};
    arr(rec(rule.http)?.paths).forEach((p, j) => {
      const path = rec(p) ?? {};
      add(path.backend, join('spec.rules', i, 'http', 'paths', j, 'backend'), `${str(path.path) ?? '/'}${str(rule.host) ? ` on ${str(rule.host)}` : ''}`);
    });
  });
  return out;
}

function httpRouteBackends(route: ObjectInfo): Backend[] {
  const out: Backend[] = [];
  arr(rec(route.manifest.spec)?.rules).forEach((r, i) => {
    arr(rec(r)?.backendRefs).forEach((x, j) => {
      const ref = rec(x) ?? {};
      const kind = str(ref.kind) ?? 'Service';
      const group = str(ref.group) ?? '';
      const name = str(ref.name);
      if (kind !== 'Service' || group !== '' || !name) return;
      const port = typeof ref.port === 'number' ? ref.port : undefined;
      out.push({ ns: str(ref.namespace) ?? route.ns, service: name, ...(port !== undefined ? { port } : {}), path: join('spec.rules', i, 'backendRefs', j), route: `rule ${i}` });
    });
  });
  return out;
}

/** The Service and pods a backend reaches, with the pods' target port for the backend's Service port. */
export interface ResolvedBackend {
  readonly service?: ObjectInfo;
  readonly port?: ServicePort;
  readonly workloads: readonly Workload[];
}

/** Resolves a Service name and port (name or number) to the selected pods. */
export function resolveService(b: Bundle, ns: string, name: string, port: number | string | undefined): ResolvedBackend {
  const service = b.byRef.get(refKey('Service', ns, name))?.[0];
  if (!service) return { workloads: [] };
  const sp = port === undefined ? undefined : servicePorts(service).find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
  const sel = serviceSelector(service);
  return { service, ...(sp ? { port: sp } : {}), workloads: sel ? b.pods.select(ns, sel) : [] };
}

/** Ingress and HTTPRoute backends with their resolution, for the network invariants. */
export function routeBackends(b: Bundle): { readonly route: ObjectInfo; readonly backend: Backend; readonly resolved: ResolvedBackend }[] {
  const out: { route: ObjectInfo; backend: Backend; resolved: ResolvedBackend }[] = [];
  for (const ing of b.byKind.get('Ingress') ?? []) for (const be of ingressBackends(ing)) out.push({ route: ing, backend: be, resolved: resolveService(b, be.ns, be.service, be.port) });
  for (const r of b.byKind.get('HTTPRoute') ?? []) for (const be of httpRouteBackends(r)) out.push({ route: r, backend: be, resolved: resolveService(b, be.ns, be.service, be.port) });
  return out;
}

function referenceGrantAllows(b: Bundle, from: ObjectInfo, toNs: string, service: string): boolean {
  return (b.byKind.get('ReferenceGrant') ?? []).some((g) => {
    if (g.ns !== toNs) return false;
    const spec = rec(g.manifest.spec) ?? {};
    const fromOk = arr(spec.from).some((f) => {
      const x = rec(f);
      return x?.kind === from.kind && x.namespace === from.ns && str(x.group) === from.group;
    });
    const toOk = arr(spec.to).some((t) => {
      const x = rec(t);
      return x?.kind === 'Service' && (str(x.group) ?? '') === '' && (x.name === undefined || x.name === service);
    });
    return fromOk && toOk;
  });
}

/** NET-06 on every Ingress and HTTPRoute. */
export function checkRoutes(b: Bundle): void {
  for (const { route, backend, resolved } of routeBackends(b)) {
    if (b.isExternal('Service', backend.ns, backend.service)) continue;
    const what = route.kind === 'Ingress' ? `Ingress routes ${backend.route}` : `HTTPRoute ${backend.route} routes`;
    if (!resolved.service) {
      b.sink.add(route, 'NET-06', join(backend.path, 'name'), `${what} to Service "${backend.service}", which is not in namespace ${backend.ns}`, `add the Service, fix the name, or declare it external as Service/${backend.service}`);
      continue;
    }
    if (backend.port === undefined) {
      if (route.kind === 'HTTPRoute') b.sink.add(route, 'NET-06', join(backend.path, 'port'), `${what} to Service "${backend.service}" without a port, which a Service backend requires`, 'set the Service port');
    } else if (!resolved.port) {
      const have = servicePorts(resolved.service).map((p) => p.name ?? String(p.port));
      b.sink.add(
        route,
        'NET-06',
        join(backend.path, 'port'),
        `${what} to port ${fmt(backend.port)} of Service "${backend.service}", which has ports ${have.join(', ') || 'none'}`,
        'use a port the Service defines',
      );
    }
    if (route.kind === 'HTTPRoute' && backend.ns !== route.ns && !referenceGrantAllows(b, route, backend.ns, backend.service)) {
      b.sink.add(route, 'NET-06', join(backend.path, 'namespace'), `${what} to Service "${backend.service}" in namespace ${backend.ns} with no ReferenceGrant there allowing it`, `add a ReferenceGrant in ${backend.ns} from HTTPRoutes of ${route.ns} to the Service`);
    }
  }
}

/** Prometheus selection of a ServiceMonitor: by a Prometheus object in the bundle, else the kube-prometheus-stack `release` label. */
function prometheusSelects(b: Bundle, sm: ObjectInfo): boolean | 'no-prometheus' {
  const proms = b.byKind.get('Prometheus') ?? [];
  if (proms.length === 0) return 'no-prometheus';
  return proms.some((p) => {
    const spec = rec(p.manifest.spec) ?? {};
    const sel = parseLabelSelector(spec.serviceMonitorSelector);
    const nsRaw = spec.serviceMonitorNamespaceSelector;
    // A nil namespace selector means the Prometheus' own namespace; {} means every namespace.
    const nsOk = nsRaw === undefined || nsRaw === null ? p.ns === sm.ns : (() => {
      const nsSel = parseLabelSelector(nsRaw);
      return nsSel !== undefined && matches(nsSel, b.nsLabels(sm.ns));
    })();
    return sel !== undefined && matches(sel, sm.labels) && nsOk;
  });
}

/** Services a ServiceMonitor selects (own namespace, `namespaceSelector.matchNames`, or `any`). */
export function monitoredServices(b: Bundle, sm: ObjectInfo): { readonly selector?: Selector; readonly services: readonly ObjectInfo[]; readonly namespaces: readonly string[] } {
  const spec = rec(sm.manifest.spec) ?? {};
  const selector = parseLabelSelector(spec.selector);
  const nsSel = rec(spec.namespaceSelector);
  let namespaces: string[];
  if (nsSel?.any === true) namespaces = [...b.knownNamespaces];
  else {
    const names = arr(nsSel?.matchNames).filter((n): n is string => typeof n === 'string');
    namespaces = names.length > 0 ? names : [sm.ns];
  }
  const services = selector ? namespaces.flatMap((ns) => b.services.select(ns, selector)) : [];
  return { ...(selector ? { selector } : {}), services, namespaces };
}

/** NET-10 on every ServiceMonitor. */
export function checkServiceMonitors(b: Bundle): void {
  for (const sm of b.byKind.get('ServiceMonitor') ?? []) {
    const spec = rec(sm.manifest.spec) ?? {};
    const { selector, services, namespaces } = monitoredServices(b, sm);
    if (services.length === 0) {
      b.sink.add(sm, 'NET-10', 'spec.selector', `ServiceMonitor selector ${describeSelector(selector)} matches no Service in namespace ${namespaces.join(', ')}, so nothing is scraped`, 'label the Service to match, or fix the selector');
    } else {
      arr(spec.endpoints).forEach((raw, i) => {
        const port = str(rec(raw)?.port);
        if (port === undefined) return;
        if (!services.some((s) => servicePorts(s).some((p) => p.name === port))) {
          const have = services.map((s) => `${s.name}: ${servicePorts(s).map((p) => p.name ?? `unnamed ${p.port}`).join(', ')}`).join('; ');
          b.sink.add(sm, 'NET-10', join('spec.endpoints', i, 'port'), `ServiceMonitor endpoint port "${port}" is not a port name of the selected Services (${have})`, 'name the Service port and use that name');
        }
      });
    }
    const selected = prometheusSelects(b, sm);
    if (selected === 'no-prometheus') {
      if (sm.labels.release === undefined) {
        b.sink.add(sm, 'NET-10', 'metadata.labels', 'ServiceMonitor has no release label, which kube-prometheus-stack selects on by default, so no Prometheus picks it up', 'add the label your Prometheus selects (release: <helm release> for kube-prometheus-stack)');
      }
    } else if (!selected) {
      b.sink.add(sm, 'NET-10', 'metadata.labels', 'no Prometheus in the bundle selects this ServiceMonitor (serviceMonitorSelector and namespace selector)', "label the ServiceMonitor to match a Prometheus' serviceMonitorSelector");
    }
  }
}

/** The API group of a `scaleTargetRef.apiVersion`. */
export function targetGroup(ref: Rec): string {
  return groupOf(str(ref.apiVersion));
}
