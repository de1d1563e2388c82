import { Chart, Testing, type App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AgentNamespace, AgentPlatform, DomainEgress, enableVerification, internetEgress, PgBouncer, PostgresStore, type AgentComponent, type AgentPlatformProps, type StoreComponent, type StoreContext } from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';
import { fakeRedis } from './fake-store.js';

const image = 'registry.example.com/shop-api:1.4.0';

const shop: AgentPlatformProps = {
  name: 'shop',
  namespace: 'shop',
  components: {
    'shop-ui': { kind: 'frontend', props: { image: 'registry.example.com/shop-ui:2.0.0', runtimeConfig: { API_BASE_URL: '/api' } } },
    'shop-api': {
      kind: 'agent',
      props: { image, port: 8000, autoscaling: { minReplicas: 2, maxReplicas: 6 } },
      dependsOn: ['cache', 'llm', { component: 'db', envPrefix: 'DATABASE_' }],
    },
    cache: { kind: 'store', create: fakeRedis },
    llm: { kind: 'external', host: 'api.openai.com', port: 443, destination: 'internet', env: { LLM_API_KEY: { fromSecret: { name: 'llm', key: 'api-key' } } } },
    db: { kind: 'external', host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, destination: { cidr: '10.20.0.0/16' }, env: { DATABASE_URL: { fromSecret: { name: 'db', key: 'url' } } } },
  },
  hosts: [
    {
      host: 'shop.example.com',
      via: { type: 'ingress', tls: { secretName: 'shop-tls', clusterIssuer: 'letsencrypt-prod' } },
      paths: [
        { path: '/', component: 'shop-ui' },
        { path: '/api', component: 'shop-api' },
      ],
    },
  ],
};

const EXTERNAL = ['Secret/shop/llm', 'Secret/shop/db', 'Secret/shop/cache-auth', 'Secret/shop/shop-tls'];

function build(props: Partial<AgentPlatformProps> = {}): Obj[] {
  return synth((chart) => new AgentPlatform(chart, 'platform', { ...shop, ...props }), { external: EXTERNAL });
}

const policy = (objs: Obj[], name: string) => one(objs, 'NetworkPolicy', name).spec;

describe('AgentPlatform', () => {
  const objs = build();

  it('synthesizes the components, the routes and the namespace (snapshot)', () => {
    expect(objs).toMatchSnapshot();
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).filter((k) => /^(Deployment|Ingress|Namespace|ResourceQuota)\//.test(k))).toEqual([
      'Deployment/shop-ui',
      'Deployment/shop-api',
      'Deployment/cache',
      'Ingress/shop',
      'Namespace/shop',
      'ResourceQuota/shop-quota',
    ]);
  });

  it('turns api -> cache into egress on the api, ingress on the cache, and nothing wider', () => {
    const api = policy(objs, 'shop-api');
    const cacheSelector = { 'app.kubernetes.io/name': 'cache', 'app.kubernetes.io/instance': 'cache' };
    expect(api.egress).toEqual([
      { to: [{ podSelector: { matchLabels: cacheSelector } }], ports: [{ port: 6379, protocol: 'TCP' }] },
      {
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8'] } }],
        ports: [{ port: 443, protocol: 'TCP' }],
      },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
    const apiSelector = { 'app.kubernetes.io/name': 'shop-api', 'app.kubernetes.io/instance': 'shop-api' };
    expect(policy(objs, 'cache').ingress).toEqual([{ from: [{ podSelector: { matchLabels: apiSelector } }], ports: [{ port: 6379, protocol: 'TCP' }] }]);
    expect(policy(objs, 'cache').egress).toEqual([]);
    // The UI calls nothing and admits only the ingress controller.
    expect(policy(objs, 'shop-ui').egress).toEqual([]);
    expect(policy(objs, 'shop-ui').ingress.map((r: Obj) => r.from[0].namespaceSelector?.matchLabels)).toEqual([{ 'kubernetes.io/metadata.name': 'ingress-nginx' }]);
    expect(policy(objs, 'shop-api').ingress.map((r: Obj) => r.from[0].namespaceSelector?.matchLabels)).toEqual([
      { 'kubernetes.io/metadata.name': 'ingress-nginx' },
      { 'kubernetes.io/metadata.name': 'monitoring' },
    ]);
  });

  it("gives the caller each target's connection env: host, port, Secret references", () => {
    const env = one(objs, 'Deployment', 'shop-api').spec.template.spec.containers[0].env;
    const byName = Object.fromEntries(env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(byName).toMatchObject({
      CACHE_HOST: 'cache.shop.svc',
      CACHE_PORT: '6379',
      CACHE_PASSWORD: { secretKeyRef: { name: 'cache-auth', key: 'password' } },
      LLM_HOST: 'api.openai.com',
      LLM_PORT: '443',
      LLM_API_KEY: { secretKeyRef: { name: 'llm', key: 'api-key' } },
      DATABASE_HOST: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
      DATABASE_PORT: '5432',
      DATABASE_URL: { secretKeyRef: { name: 'db', key: 'url' } },
    });
    expect(one(objs, 'Deployment', 'shop-api').spec.template.metadata.annotations['cdk8s-agent-platform.dev/depends-on']).toBe('shop/cache:6379');
  });

  it('routes / to the UI and /api to the API on one Ingress with TLS', () => {
    const ing = one(objs, 'Ingress', 'shop');
    expect(ing.spec.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    expect(ing.spec.rules[0].http.paths.map((p: Obj) => `${p.path} -> ${p.backend.service.name}:${p.backend.service.port.number}`)).toEqual(['/ -> shop-ui:80', '/api -> shop-api:80']);
  });

  it('computes the quota from the components at their maximum: HPA max plus surge, replicas plus surge', () => {
    const hard = one(objs, 'ResourceQuota').spec.hard;
    // shop-ui 3 + 1 surge, shop-api 6 + 1 surge, cache 2 + 1 surge
    expect(hard.pods).toBe('14');
    // limits: ui 4 x 200m, api 7 x 500m (small), cache 3 x 500m = 5.8 CPU
    expect(hard['limits.cpu']).toBe('5800m');
    // ui 4 x 128Mi + api 7 x 1Gi + cache 3 x 1Gi = 10752Mi
    expect(hard['limits.memory']).toBe('10752Mi');
    expect(hard['requests.cpu']).toBe('2700m');
  });

  it('rejects a given quota that cannot hold the components, naming the key', () => {
    const quota = { requests: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' }, limits: { cpu: '4', memory: '16Gi', ephemeralStorage: '40Gi' }, pods: 10, persistentVolumeClaims: 5 };
    expect(errorOf(() => build({ quota }))).toBe(
      [
        'test/platform props.quota.limits.cpu: cannot hold the components at their maximum (Deployment/shop-ui x4, Deployment/shop-api x7, Deployment/cache x3), which need 5800m, got "4"; raise it to at least 5800m, or leave quota out to have it computed',
        'test/platform props.quota.pods: cannot hold the components at their maximum (Deployment/shop-ui x4, Deployment/shop-api x7, Deployment/cache x3), which need 14, got 10; raise it to at least 14, or leave quota out to have it computed',
      ].join('\n'),
    );
  });

  it('rejects a dependency on an unknown component, on itself, and a path to a store, naming component and property', () => {
    const components = { ...shop.components, 'shop-api': { kind: 'agent' as const, props: { image }, dependsOn: ['cahce', { component: 'shop-api' }] } };
    const hosts = [{ ...shop.hosts![0]!, paths: [{ path: '/', component: 'cache' }] }];
    expect(errorOf(() => build({ components, hosts }))).toBe(
      [
        'invalid props for test/platform:',
        '  test/platform props.components.shop-api.dependsOn[0]: names no component of the platform, got "cahce"; use one of shop-ui, shop-api, cache, llm, db',
        '  test/platform props.components.shop-api.dependsOn[1].component: is the component itself, got "shop-api"; remove it: a component reaches its own pods',
        '  test/platform props.hosts[0].paths[0].component: is a store, which is never routed from outside, got "cache"; route paths to agents and frontends only',
      ].join('\n'),
    );
  });

  it('rejects a dependency on a port the target does not serve', () => {
    const components = { ...shop.components, 'shop-api': { kind: 'agent' as const, props: { image }, dependsOn: [{ component: 'cache', port: 'http' }] } };
    expect(errorOf(() => build({ components }))).toBe('test/platform props.components.shop-api.dependsOn[0].port: names no port cache serves, got "http"; use one of redis');
  });

  it('rejects a path routed twice on the host', () => {
    const hosts = [{ ...shop.hosts![0]!, paths: [...shop.hosts![0]!.paths, { path: '/api/', component: 'shop-ui' }] }];
    expect(errorOf(() => build({ hosts }))).toBe(
      'invalid props for test/platform/Routes:\n  test/platform/Routes props.routes[2].path: duplicates routes[1] (Prefix /api on shop.example.com), got "/api/"; route each path once',
    );
  });

  it('rejects bad component props in the component, naming it', () => {
    const components = { ...shop.components, 'shop-ui': { kind: 'frontend' as const, props: { image: 'registry.example.com/shop-ui:2.0.0', port: 80 } } };
    expect(errorOf(() => build({ components }))).toBe(
      'invalid props for test/platform/shop-ui:\n  test/platform/shop-ui props.port: is below 1024, which a non-root container without capabilities cannot bind (D-SRK-12), got 80; use 8080',
    );
  });

  it('keeps every object in the namespace it creates', () => {
    expect(all(objs, 'Namespace').map((n) => n.metadata.name)).toEqual(['shop']);
    expect(objs.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'shop')).toBe(true);
  });
});

describe('AgentPlatform environments and tiers', () => {
  const definition: AgentPlatformProps = {
    ...shop,
    components: {
      ...shop.components,
      'shop-api': { kind: 'agent', props: { image, port: 8000, env: { LOG_LEVEL: 'info', AUTH_MODE: 'jwt' } }, dependsOn: ['cache'] },
    },
  };

  function charts(build: (app: App) => void): Map<string, Obj[]> {
    const app = Testing.app();
    enableVerification(app, { external: EXTERNAL.map((e) => e.replace('/shop/', '/')), warn: () => undefined });
    build(app);
    return new Map(app.charts.map((c) => [c.node.id, Testing.synth(c) as Obj[]]));
  }

  it('synthesizes one chart and namespace per environment with its overrides', () => {
    const out = charts((app) =>
      AgentPlatform.environments(app, 'shop', {
        definition,
        environments: {
          dev: { profile: 'dev', hosts: { 'shop.example.com': 'dev.shop.example.com' }, components: { 'shop-api': { replicas: 1, env: { LOG_LEVEL: 'debug' } }, cache: { settings: { replicas: 1 } } } },
          production: { namespace: 'shop', components: { 'shop-api': { autoscaling: { minReplicas: 3, maxReplicas: 12 }, resources: 'medium' } } },
        },
      }),
    );
    expect([...out.keys()]).toEqual(['shop-dev', 'shop-production']);
    const dev = out.get('shop-dev')!;
    expect(one(dev, 'Namespace').metadata.name).toBe('shop-dev');
    const devApi = one(dev, 'Deployment', 'shop-api');
    expect(devApi.spec.replicas).toBe(1);
    const env = Object.fromEntries(devApi.spec.template.spec.containers[0].env.filter((e: Obj) => e.value).map((e: Obj) => [e.name, e.value]));
    expect(env).toMatchObject({ LOG_LEVEL: 'debug', AUTH_MODE: 'jwt', CACHE_HOST: 'cache.shop-dev.svc' });
    expect(one(dev, 'Ingress').spec.rules[0].host).toBe('dev.shop.example.com');
    const prod = out.get('shop-production')!;
    expect(one(prod, 'HorizontalPodAutoscaler', 'shop-api').spec.maxReplicas).toBe(12);
    expect(one(prod, 'Deployment', 'shop-api').spec.template.spec.containers[0].resources.limits.cpu).toBe('1');
  });

  it('rejects an override naming an unknown component, a setting its kind lacks, or an unknown host', () => {
    expect(
      errorOf(() =>
        charts((app) =>
          AgentPlatform.environments(app, 'shop', {
            definition,
            environments: { dev: { hosts: { 'www.example.com': 'dev.example.com' }, components: { 'shop-apy': { replicas: 1 }, cache: { replicas: 2 } as never } } },
          }),
        ),
      ),
    ).toBe(
      [
        'invalid props for shop:',
        '  shop props.environments.dev.hosts.www.example.com: names no host of the definition, got "www.example.com"; use one of shop.example.com',
        '  shop props.environments.dev.components.shop-apy: names no component of the definition, got "shop-apy"; use one of shop-ui, shop-api, cache, llm, db',
        '  shop props.environments.dev.components.cache.replicas: unknown property, got 2; remove it or check its spelling',
      ].join('\n'),
    );
  });

  it('scales tiers together, and rejects a tier without a value the others set', () => {
    const tiers = {
      small: { components: { 'shop-api': { replicas: 2, resources: 'small' as const }, cache: { settings: { resources: 'small' } } } },
      large: { components: { 'shop-api': { replicas: 8, resources: 'large' as const }, cache: { settings: { resources: 'medium' } } } },
    };
    const out = charts((app) => AgentPlatform.tiers(app, 'shop', { definition, tiers }));
    expect(one(out.get('shop-large')!, 'Deployment', 'shop-api').spec.replicas).toBe(8);
    expect(one(out.get('shop-large')!, 'ResourceQuota').spec.hard.pods).toBe(String(4 + 9 + 3));
    expect(errorOf(() => charts((app) => AgentPlatform.tiers(app, 'shop', { definition, tiers: { ...tiers, large: { components: { 'shop-api': { replicas: 8 } } } } })))).toBe(
      [
        'invalid props for shop:',
        '  shop props.tiers.large.components.shop-api.resources: is missing, set by tier small, got undefined; give every tier a value for it',
        '  shop props.tiers.large.components.cache.settings.resources: is missing, set by tier small, got undefined; give every tier a value for it',
      ].join('\n'),
    );
  });
});

describe('AgentPlatform routing of shared metrics', () => {
  it('blocks the metrics path at the edge when an agent serves metrics on its app port', () => {
    const components = { ...shop.components, 'shop-api': { kind: 'agent' as const, props: { image, port: 8000, metrics: { port: 8000 } }, dependsOn: ['cache'] } };
    const objs = build({ components });
    const blocked = one(objs, 'Ingress', 'shop-blocked');
    expect(blocked.spec.rules[0].http.paths.map((p: Obj) => p.path)).toEqual(['/metrics']);
    expect(blocked.metadata.annotations['nginx.ingress.kubernetes.io/denylist-source-range']).toBe('0.0.0.0/0,::/0');
    expect(all(build(), 'Ingress').map((i) => i.metadata.name)).toEqual(['shop']);
  });
});

describe('AgentPlatform stores that depend on stores, and the connection budget', () => {
  // PgBouncer declared before the database it pools: the platform builds the database first.
  const pooled = (connections: number, large = false, cnpg = false): AgentPlatformProps => ({
    name: 'shop',
    namespace: 'shop',
    components: {
      'shop-api': { kind: 'agent', props: { image, port: 8000, autoscaling: { minReplicas: 2, maxReplicas: 6 } }, dependsOn: [{ component: 'pool', envPrefix: 'DATABASE_', connections }] },
      pool: {
        kind: 'store',
        dependsOn: ['db'],
        create: (scope, id, ctx) => new PgBouncer(scope, id, { name: id, namespace: ctx.namespace, partOf: ctx.partOf, server: ctx.dependency('db', PostgresStore).pgBouncerServer(), maxDbConnections: 40 }),
      },
      db: {
        kind: 'store',
        create: (scope, id, ctx) =>
          new PostgresStore(scope, id, {
            name: id,
            namespace: ctx.namespace,
            partOf: ctx.partOf,
            ...(cnpg ? { cloudNativePg: { apiServerCidrs: ['10.0.0.1/32'] } } : { mode: 'statefulSet' as const, singleInstanceReason: 'a test of the wiring between two stores, one database pod' }),
            database: 'shop',
            owner: 'shop',
            auth: { secretName: 'db' },
            tier: large ? 'large' : 'small',
          }),
      },
    },
  });
  const buildPooled = (connections: number, large = false) => synth((chart) => new AgentPlatform(chart, 'platform', pooled(connections, large)), { external: ['Secret/shop/db'] });
  const objs = buildPooled(100);

  it('admits the pooler on the database, wires the API to the pooler, and draws both edges as declared', () => {
    const pool = { 'app.kubernetes.io/name': 'pool', 'app.kubernetes.io/instance': 'pool' };
    expect(policy(objs, 'db').ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: pool } }], ports: [{ port: 5432, protocol: 'TCP' }] });
    expect(policy(objs, 'pool').egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'db', 'app.kubernetes.io/instance': 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    const env = Object.fromEntries(one(objs, 'Deployment', 'shop-api').spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ DATABASE_HOST: 'pool.shop.svc.cluster.local', DATABASE_PORT: '6432', DATABASE_PASSWORD: { secretKeyRef: { name: 'db', key: 'password' } } });
    const app = Testing.app();
    enableVerification(app, { external: ['Secret/shop/db'], warn: () => undefined });
    const platform = new AgentPlatform(new Chart(app, 'c'), 'platform', pooled(100));
    expect(platform.edges.map((e) => `${e.from} -> ${e.to} ${e.port}`)).toEqual(['shop-api -> pool 6432', 'pool -> db 5432']);
    expect(platform.topology(Testing.synth(Chart.of(platform))).edges.filter((e) => !e.from.includes(':')).map((e) => `${e.from} -> ${e.to} ${e.status}`)).toEqual(['shop-api -> pool declared', 'pool -> db declared']);
  });

  it("writes each caller's declared connections on its pods, and the verification holds the budget", () => {
    expect(one(objs, 'Deployment', 'shop-api').spec.template.metadata.annotations['cdk8s-agent-platform.dev/connections']).toBe('shop/pool=100');
    // 6 pods x 400 = 2400 against 2 PgBouncers x 1000 clients.
    expect(errorOf(() => buildPooled(400))).toContain(
      'STO-03 High Deployment shop/shop-api spec.template.metadata.annotations["cdk8s-agent-platform.dev/connections"]: the clients of shop/pool may open 2400 connections (Deployment "shop-api" 6 × 400) and Deployment "pool" accepts 2000, so connections fail at peak',
    );
  });

  it('raises the LimitRange max to the largest container, and only then', () => {
    expect(one(objs, 'LimitRange').spec.limits[0].max).toEqual({ cpu: '4', memory: '8Gi', 'ephemeral-storage': '16Gi' });
    // The large database tier limits PostgreSQL to 16Gi.
    expect(one(buildPooled(100, true), 'LimitRange').spec.limits[0].max).toEqual({ cpu: '4', memory: '16Gi', 'ephemeral-storage': '16Gi' });
  });

  it('counts a CloudNativePG cluster in the quota and draws its instances in the topology', () => {
    const app = Testing.app();
    enableVerification(app, { external: ['Secret/shop/db'], warn: () => undefined });
    const platform = new AgentPlatform(new Chart(app, 'c'), 'platform', pooled(100, true, true));
    const out = Testing.synth(Chart.of(platform)) as Obj[];
    const hard = one(out, 'ResourceQuota').spec.hard;
    // API 6 + 1 surge, PgBouncer 2 + 1 surge, the cluster's 3 instances + the operator's Job.
    expect(hard.pods).toBe(String(7 + 3 + 4));
    expect(hard.persistentvolumeclaims).toBe('4');
    // API 7 x 1Gi (small), PgBouncer 3 x (256Mi + 64Mi), PostgreSQL 4 x 16Gi (large).
    expect(hard['limits.memory']).toBe(`${7 * 1024 + 3 * 320 + 4 * 16 * 1024}Mi`);
    expect(one(out, 'LimitRange').spec.limits[0].max.memory).toBe('16Gi');
    const edges = platform.topology(out).edges.map((e) => `${e.from} -> ${e.to} ${e.ports.join(',')} ${e.status}`);
    expect(edges.filter((e) => !e.includes('monitoring') && !e.includes('cnpg-system'))).toEqual([
      'shop-api -> pool 6432 declared',
      'pool -> db 5432 declared',
      // The instance managers call the API server: the store's own egress.
      'db -> cidr:10.0.0.1/32 443,6443 declared',
    ]);
  });

  it('rejects a store dependency on an unknown component, a non-store, itself, and a cycle', () => {
    const p = pooled(100);
    const components = {
      ...p.components,
      pool: { ...(p.components.pool as StoreComponent), dependsOn: ['dbb', 'shop-api', 'pool', 'db'] },
      db: { ...(p.components.db as StoreComponent), dependsOn: ['pool'] },
    };
    expect(errorOf(() => new AgentPlatform(Testing.chart(), 'platform', { ...p, components }))).toBe(
      [
        'invalid props for test/platform:',
        '  test/platform props.components.pool.dependsOn[0]: names no component of the platform, got "dbb"; use one of shop-api, pool, db',
        '  test/platform props.components.pool.dependsOn[1]: is an agent; a store depends on other stores only, got "shop-api"; use one of pool, db',
        '  test/platform props.components.pool.dependsOn[2]: is the component itself, got "pool"; remove it: a component reaches its own pods',
        '  test/platform props.components.pool.dependsOn: makes a cycle (pool -> db -> pool), so no store can be built first, got ["dbb","shop-api","pool","db"]; remove one of the dependencies',
      ].join('\n'),
    );
  });

  it('rejects a factory asking for an undeclared dependency or the wrong class, and connections to an external service', () => {
    const p = pooled(100);
    const ask = (name: string) => ({ ...p, components: { ...p.components, pool: { kind: 'store' as const, dependsOn: ['db'], create: (_s: unknown, _i: string, ctx: StoreContext) => ctx.dependency(name, PgBouncer) } } });
    expect(errorOf(() => new AgentPlatform(Testing.chart(), 'platform', ask('cache')))).toBe(
      'test/platform props.components.pool.create: asks for dependency "cache", which pool does not declare; add it to props.components.pool.dependsOn (declared: db)',
    );
    expect(errorOf(() => new AgentPlatform(Testing.chart(), 'platform', ask('db')))).toBe(
      'test/platform props.components.pool.create: asks for dependency "db" as a PgBouncer, got PostgresStore; ask for the class the store db is built as',
    );
    const external = { ...shop, components: { ...shop.components, 'shop-api': { kind: 'agent' as const, props: { image }, dependsOn: [{ component: 'db', connections: 10 }] } } };
    expect(errorOf(() => new AgentPlatform(Testing.chart(), 'platform', external))).toBe(
      'test/platform props.components.shop-api.dependsOn[0].connections: counts connections to external db, whose connection limit the platform cannot see, got 10; remove it, or depend on a store that declares its limit',
    );
  });
});

describe('AgentPlatform model gateway', () => {
  const keys = { secretName: 'llm-keys', key: 'openai' };
  const definition: AgentPlatformProps = {
    name: 'chat',
    namespace: 'chat',
    components: {
      api: { kind: 'agent', props: { image, port: 8000 }, dependsOn: [{ component: 'models', envPrefix: 'LLM_BASE_' }], egressDomains: [{ domains: ['otel.example.com'], ports: [443] }] },
      models: {
        kind: 'model-gateway',
        props: {
          image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable',
          providers: [
            { provider: 'openai', models: ['gpt-4o'], apiKey: keys },
            { provider: 'anthropic', models: ['claude-sonnet-4-5'], apiKey: { secretName: 'llm-keys', key: 'anthropic' } },
          ],
          fallbacks: [{ model: 'gpt-4o', to: ['claude-sonnet-4-5'] }],
        },
      },
    },
  };
  const proxy = { type: 'proxy' as const, proxy: { namespace: 'egress', image: 'ubuntu/squid:6.6-24.04_edge' } };

  function charts(build: (app: App) => void): Map<string, Obj[]> {
    const app = Testing.app();
    enableVerification(app, { external: ['Secret/chat/llm-keys', 'Secret/chat-staging/llm-keys'], warn: () => undefined });
    const egress = new Chart(app, 'egress');
    new AgentNamespace(egress, 'Namespace', { name: 'egress' });
    new DomainEgress(egress, 'Egress', { enforcement: proxy });
    build(app);
    return new Map(app.charts.map((c) => [c.node.id, Testing.synth(c) as Obj[]]));
  }

  it('builds the gateway, gives the caller egress to it and the base URLs, and only the gateway the provider keys and domains', () => {
    let platform: AgentPlatform | undefined;
    const objs = charts((app) => (platform = new AgentPlatform(new Chart(app, 'chat'), 'platform', definition))).get('chat')!;
    expect(Object.keys(platform!.gateways)).toEqual(['models']);
    const api = one(objs, 'Deployment', 'api').spec.template.spec.containers[0];
    const url = 'http://models.chat.svc.cluster.local:4000';
    expect(api.env).toEqual(
      expect.arrayContaining([
        { name: 'OPENAI_BASE_URL', value: `${url}/v1` },
        { name: 'ANTHROPIC_BASE_URL', value: url },
        { name: 'LLM_BASE_URL', value: `${url}/v1` },
      ]),
    );
    expect(JSON.stringify(api.env)).not.toContain('llm-keys');
    const gatewayLabels = { 'app.kubernetes.io/name': 'models' };
    expect(policy(objs, 'api').egress).toContainEqual({ to: [{ podSelector: { matchLabels: expect.objectContaining(gatewayLabels) } }], ports: [{ port: 4000, protocol: 'TCP' }] });
    expect(JSON.stringify(policy(objs, 'api').egress)).not.toContain('0.0.0.0/0');
    expect(policy(objs, 'models').ingress).toEqual([{ from: [{ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'api' }) } }], ports: [{ port: 4000, protocol: 'TCP' }] }]);
    const gw = one(objs, 'Deployment', 'models').spec.template.spec.containers[0];
    expect(gw.env).toContainEqual({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'llm-keys', key: 'openai' } } });
    expect(one(objs, 'ConfigMap', 'models-config').data['config.yaml']).toContain('router_settings:\n  fallbacks:\n    - gpt-4o:\n        - claude-sonnet-4-5');
    expect(platform!.edges).toContainEqual({ from: 'api', to: 'models', port: 4000, portName: 'http' });
    expect(platform!.components).toContainEqual({ name: 'models', kind: 'model-gateway' });
    // The picture: api -> gateway, gateway -> the egress proxy, both as declared; nothing from api out of the namespace.
    const t = platform!.topology(objs);
    expect(t.nodes).toContainEqual({ id: 'models', label: 'models', kind: 'model-gateway' });
    const edges = t.edges.map((e) => `${e.from} -> ${e.to.startsWith('pods:') ? t.nodes.find((n) => n.id === e.to)!.label : e.to} ${e.ports.join(',')} ${e.status}`);
    expect(edges).toContain('api -> models 4000 declared');
    expect(edges).toContain('models -> egress/egress-proxy 3128 declared');
    // The telemetry endpoint, by domain through the same proxy, is declared too; nothing else leaves the namespace.
    expect(edges.filter((e) => e.startsWith('api -> '))).toEqual(['api -> models 4000 declared', 'api -> egress/egress-proxy 3128 declared']);
    expect(api.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://egress-proxy.egress.svc.cluster.local:3128' });
    expect(t.edges.filter((e) => e.status !== 'declared')).toEqual([]);
  });

  it('overrides the providers per environment, and leaves the gateway out where the model is a stub', () => {
    const out = charts((app) =>
      AgentPlatform.environments(app, 'chat', {
        definition,
        environments: {
          dev: { profile: 'dev', omit: ['models'], components: { api: { egressDomains: [] } } },
          staging: { components: { models: { providers: [{ provider: 'openai', models: ['gpt-4o-mini'], apiKey: keys }], fallbacks: [] } } },
        },
      }),
    );
    const dev = out.get('chat-dev')!;
    expect(dev.filter((o) => o.metadata.name === 'models')).toEqual([]);
    expect(JSON.stringify(one(dev, 'Deployment', 'api'))).not.toContain('BASE_URL');
    expect(JSON.stringify(policy(dev, 'api').egress ?? [])).not.toContain('4000');
    expect(JSON.stringify(one(dev, 'Deployment', 'api'))).not.toContain('HTTPS_PROXY');
    const staging = out.get('chat-staging')!;
    const env = one(staging, 'Deployment', 'api').spec.template.spec.containers[0].env.map((e: Obj) => e.name);
    expect(env).toContain('OPENAI_BASE_URL');
    expect(env).not.toContain('ANTHROPIC_BASE_URL');
    expect(one(staging, 'ConfigMap', 'models-config').data['config.yaml']).toContain('openai/gpt-4o-mini');
    expect(one(staging, 'ConfigMap', 'models-config').data['config.yaml']).not.toContain('fallbacks');
  });

  it('rejects an unknown gateway, a gateway with no provider, and internet egress beside the gateway', () => {
    const api = definition.components.api as AgentComponent;
    const build = (components: AgentPlatformProps['components']) => () => charts((app) => new AgentPlatform(new Chart(app, 'chat'), 'platform', { ...definition, components: { ...definition.components, ...components } }));
    expect(errorOf(build({ api: { ...api, dependsOn: ['model'] } }))).toBe(
      ['invalid props for chat/platform:', '  chat/platform props.components.api.dependsOn[0]: names no component of the platform, got "model"; use one of api, models'].join('\n'),
    );
    expect(errorOf(build({ models: { kind: 'model-gateway', props: { image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable', providers: [] } } }))).toBe(
      [
        'invalid props for chat/platform/models:',
        "  chat/platform/models props.providers: is empty: a model gateway with no provider serves nothing, got []; add a provider, like { provider: 'openai', models: ['gpt-4o'], apiKey: { secretName, key } }",
      ].join('\n'),
    );
    expect(
      errorOf(
        build({
          api: { ...api, props: { ...api.props, egress: [internetEgress([443])] }, dependsOn: ['models', 'search'] },
          search: { kind: 'external', host: 'search.example.com', port: 443, destination: 'internet' },
        }),
      ),
    ).toBe(
      [
        'invalid props for chat/platform:',
        "  chat/platform props.components.api.props.egress[0]: opens the internet (0.0.0.0/0) while api depends on model gateway models, so it could call the LLM providers around the gateway, got {\"description\":\"internet HTTPS\",\"cidr\":\"0.0.0.0/0\",\"except\":[\"10.0.0.0/8\",\"17...; remove it; reach other public services by domain through the app's DomainEgress, or through the gateway",
        "  chat/platform props.components.api.dependsOn[1]: is external search on the internet, while api depends on model gateway models, so it could call the LLM providers around the gateway, got \"search\"; give search a CIDR destination, or reach other public services by domain through the app's DomainEgress, or through the gateway",
      ].join('\n'),
    );
  });

  it('rejects leaving out a component that is unknown, overridden, routed or a store dependency', () => {
    const withRoutes: AgentPlatformProps = {
      ...definition,
      components: { ...definition.components, cache: { kind: 'store', create: fakeRedis }, pool: { kind: 'store', create: fakeRedis, dependsOn: ['cache'] } },
      hosts: [{ host: 'chat.example.com', via: { type: 'ingress', tls: { secretName: 'chat-tls', clusterIssuer: 'letsencrypt-prod' } }, paths: [{ path: '/', component: 'api' }] }],
    };
    expect(
      errorOf(() =>
        charts((app) =>
          AgentPlatform.environments(app, 'chat', { definition: withRoutes, environments: { dev: { omit: ['modles', 'models', 'api', 'cache'], components: { models: { replicas: 2 } } } } }),
        ),
      ),
    ).toBe(
      [
        'invalid props for chat:',
        '  chat props.environments.dev.omit[0]: names no component of the definition, got "modles"; use one of api, models, cache, pool',
        '  chat props.environments.dev.omit[1]: is also overridden in components.models, got "models"; remove the override, or keep the component',
        '  chat props.environments.dev.omit[2]: is routed from host chat.example.com, got "api"; keep it, or route the path to another component',
        '  chat props.environments.dev.omit[3]: is a dependency of store pool, got "cache"; keep it, or leave out pool too',
      ].join('\n'),
    );
  });
});
