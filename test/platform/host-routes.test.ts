import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HostRoutes, SecureAgentDeployment, type HostRoutesProps, type Profile } from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';

const image = 'registry.example.com/app:1.2.3';

/** Two backends (ui, api) that admit the ingress controller, as routed workloads must. */
function backends(chart: Chart, profile: Profile = 'production', ingressFrom: 'ingress-nginx' | 'envoy-gateway' = 'ingress-nginx'): void {
  for (const name of ['ui', 'api']) new SecureAgentDeployment(chart, name, { name, namespace: 'shop', profile, image, ingressFrom });
}

const ingress: HostRoutesProps = {
  name: 'shop',
  namespace: 'shop',
  host: 'shop.example.com',
  via: { type: 'ingress', tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt-prod' } },
  routes: [
    { path: '/', service: 'ui', port: 80 },
    { path: '/api', service: 'api', port: 80 },
    { path: '/ws', pathType: 'Exact', service: 'api', port: 80 },
  ],
};

function build(props: Partial<HostRoutesProps> = {}, profile: Profile = 'production'): Obj[] {
  return synth(
    (chart) => {
      backends(chart, profile, props.via?.type === 'httpRoute' ? 'envoy-gateway' : 'ingress-nginx');
      new HostRoutes(chart, 'Routes', { ...ingress, profile, ...props });
    },
    { external: ['Secret/shop/shop-tls', 'Gateway/gateway-system/public'], profile },
  );
}

describe('HostRoutes', () => {
  it('routes the paths of one host to several Services through one Ingress with TLS (snapshot)', () => {
    const objs = build();
    expect(all(objs, 'Ingress')).toMatchSnapshot();
    const spec = one(objs, 'Ingress', 'shop').spec;
    expect(spec.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    expect(spec.rules[0].http.paths.map((p: Obj) => `${p.pathType} ${p.path} -> ${p.backend.service.name}:${p.backend.service.port.number}`)).toEqual([
      'Prefix / -> ui:80',
      'Prefix /api -> api:80',
      'Exact /ws -> api:80',
    ]);
    const annotations = one(objs, 'Ingress', 'shop').metadata.annotations;
    expect(annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    expect(annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe('true');
    expect(annotations['nginx.ingress.kubernetes.io/limit-rps']).toBe('100');
  });

  it('routes them through one HTTPRoute, one rule per path (snapshot)', () => {
    const objs = build({ via: { type: 'httpRoute', gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' } } });
    const route = one(objs, 'HTTPRoute', 'shop');
    expect(route).toMatchSnapshot();
    expect(route.spec.hostnames).toEqual(['shop.example.com']);
    expect(route.spec.rules.map((r: Obj) => `${r.matches[0].path.type} ${r.matches[0].path.value} -> ${r.backendRefs[0].name}:${r.backendRefs[0].port}`)).toEqual([
      'PathPrefix / -> ui:80',
      'PathPrefix /api -> api:80',
      'Exact /ws -> api:80',
    ]);
  });

  it('blocks paths at the edge: a deny-all second Ingress, or a rule without backends', () => {
    const objs = build({ blockedPaths: ['/metrics'] });
    const blocked = one(objs, 'Ingress', 'shop-blocked');
    expect(blocked.metadata.annotations['nginx.ingress.kubernetes.io/denylist-source-range']).toBe('0.0.0.0/0,::/0');
    expect(blocked.spec.rules[0].http.paths.map((p: Obj) => p.path)).toEqual(['/metrics']);
    const route = one(build({ blockedPaths: ['/metrics'], via: { type: 'httpRoute', gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' } } }), 'HTTPRoute');
    expect(route.spec.rules[0]).toEqual({ matches: [{ path: { type: 'PathPrefix', value: '/metrics' } }] });
  });

  it('records plain HTTP in dev as a waiver', () => {
    const objs = build({ via: { type: 'ingress' } }, 'dev');
    expect(one(objs, 'Ingress', 'shop').metadata.annotations['waivers.cdk8s-agent-platform.dev/NET-07']).toMatch(/plain HTTP/);
  });

  it('rejects a path routed twice in one host, a trailing slash included', () => {
    expect(errorOf(() => build({ routes: [...ingress.routes, { path: '/api/', service: 'ui', port: 80 }] }))).toBe(
      'invalid props for test/Routes:\n  test/Routes props.routes[3].path: duplicates routes[1] (Prefix /api on shop.example.com), got "/api/"; route each path once',
    );
  });

  it('rejects the same host and path routed by two constructs on one controller', () => {
    const message = errorOf(() =>
      synth((chart) => {
        backends(chart);
        new HostRoutes(chart, 'Routes', ingress);
        new HostRoutes(chart, 'Other', { ...ingress, name: 'other', routes: [{ path: '/api', service: 'ui', port: 80 }] });
      }),
    );
    expect(message).toBe(
      'test/Other props.routes[0].path: routes shop.example.com/api (Prefix) on ingress:nginx, which test/Routes props.routes[1].path already routes, got "/api"; route each host and path to one backend (another path or host)',
    );
  });

  it("rejects a route that a workload's own exposure already takes", () => {
    const message = errorOf(() =>
      synth((chart) => {
        new SecureAgentDeployment(chart, 'Agent', {
          name: 'agent',
          namespace: 'shop',
          image,
          exposure: { type: 'ingress', host: 'shop.example.com', tls: { secretName: 'shop-tls' } },
        });
        new HostRoutes(chart, 'Routes', { ...ingress, routes: [{ path: '/', service: 'agent', port: 80 }] });
      }),
    );
    expect(message).toBe(
      'test/Routes props.routes[0].path: routes shop.example.com/ (Prefix) on ingress:nginx, which test/Agent props.exposure.paths[0] already routes, got "/"; route each host and path to one backend (another path or host)',
    );
  });

  it('allows the same path on another host or another IngressClass', () => {
    const objs = synth(
      (chart) => {
        backends(chart);
        new HostRoutes(chart, 'Routes', ingress);
        new HostRoutes(chart, 'Admin', { ...ingress, name: 'admin', host: 'admin.example.com' });
        new HostRoutes(chart, 'Internal', { ...ingress, name: 'internal', via: { type: 'ingress', className: 'internal', tls: { secretName: 'shop-tls' } } });
      },
      { external: ['Secret/shop/shop-tls'] },
    );
    expect(all(objs, 'Ingress').map((i) => i.metadata.name)).toEqual(['shop', 'admin', 'internal']);
  });

  it('rejects a missing TLS outside dev, a blocked path that is routed, and no routes', () => {
    expect(errorOf(() => build({ via: { type: 'ingress' }, blockedPaths: ['/api/'] }))).toBe(
      [
        'invalid props for test/Routes:',
        "  test/Routes props.via.tls: is missing; TLS is required outside dev, got undefined; add tls: { secretName: '<secret>', clusterIssuer: '<issuer>' }",
        '  test/Routes props.blockedPaths[0]: is routed by routes[1], got "/api/"; block a path no route names, or drop the route',
      ].join('\n'),
    );
    expect(errorOf(() => build({ routes: [] }))).toBe('invalid props for test/Routes:\n  test/Routes props.routes: is empty, got []; route at least one path');
  });

  it('fails verification when a path goes to a Service that does not exist', () => {
    const message = errorOf(() => build({ routes: [{ path: '/', service: 'nothing', port: 80 }] }));
    expect(message).toMatch(/NET-06 .*Ingress shop\/shop/);
  });
});
