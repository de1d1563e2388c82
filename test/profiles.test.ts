import { ApiObject, type Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  AgentDashboard,
  AgentNamespace,
  AgentPlatform,
  agentMetricsTarget,
  AgentServiceMonitor,
  AlertRules,
  BackupCronJob,
  CloudWorkloadIdentity,
  DomainEgress,
  EnvConfig,
  ModelGateway,
  McpServer,
  SandboxRuntimeClass,
  ToolSandbox,
  ExternalSecretRef,
  FluentBit,
  HostRoutes,
  MigrationJob,
  StaticFrontend,
  ObservabilityStack,
  OpaServer,
  OpaSidecar,
  OtelCollector,
  PgBouncer,
  PostgresStore,
  RedisStore,
  RestoreJob,
  SecureAgentDeployment,
  verify,
  type Profile,
} from '../lib/index.js';
import { all, errorOf, one, synth, type Obj } from './util.js';

// Every construct in every profile, with the verification on: each bundle
// (the construct, its namespace of the same profile, what it needs) must
// synth, and the findings the verification reports as waived must be
// exactly the recorded ones: the dev profile's relaxations (one replica
// AVL-01, a mutable image IMG-01, plain HTTP NET-07) and the library's
// documented exceptions, nothing else.

const PROFILES = ['dev', 'staging', 'production'] as const satisfies readonly Profile[];

/** Staging and production pin images; dev runs `:latest`, which its profile allows. */
const image = (profile: Profile, repo: string) => `${repo}:${profile === 'dev' ? 'latest' : '1.2.3'}`;

/** What the bundles reference outside themselves. */
const EXTERNAL = ['Secret/agents/llm-keys', 'Secret/agents/agents-tls', 'Secret/agents/db', 'Secret/agents/s3', 'PersistentVolumeClaim/agents/backups', 'Secret/agents/redis-auth', 'Secret/agents/pg-auth', 'Secret/shop/shop-tls', 'Secret/agents/opa-token', 'Secret/agents/opa-tls'];

const RUNBOOKS = 'https://runbooks.example.com/agents';

const agent = (chart: Chart, profile: Profile) =>
  new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', profile, image: image(profile, 'registry.example.com/agent') });

const postgres = (profile: Profile) =>
  ({
    type: 'postgres',
    host: 'postgres',
    database: 'app',
    user: 'app',
    password: { name: 'db', key: 'password' },
    serverVersion: 16,
    image: profile === 'dev' ? 'postgres:latest' : 'postgres:16.4-alpine',
    destination: { cidr: '10.20.0.0/16' },
  }) as const;

const traces = { endpoint: 'tempo.agents.svc:4317', tls: { insecure: true, insecureReason: 'in-namespace test backend' }, egress: { cidr: '10.30.0.0/16', ports: [{ port: 4317 }] } };

/** Each construct, built in a chart that holds its namespace too; returns the construct (the namespace for AgentNamespace). */
const CONSTRUCTS: Record<string, (chart: Chart, profile: Profile) => Construct | undefined> = {
  AgentNamespace: () => undefined,
  SecureAgentDeployment: (chart, profile) => agent(chart, profile),
  EnvConfig: (chart) => new EnvConfig(chart, 'Env', { name: 'agent-env', namespace: 'agents', variables: { LOG_LEVEL: 'info' } }),
  ExternalSecretRef: (chart) =>
    new ExternalSecretRef(chart, 'Secrets', { name: 'db', namespace: 'agents', secretStore: { name: 'vault' }, data: [{ secretKey: 'password', remoteKey: 'db/password' }] }),
  ObservabilityStack: (chart, profile) =>
    new ObservabilityStack(chart, 'Observability', { agent: agent(chart, profile), runbookBaseUrl: RUNBOOKS, tracing: { collector: { traces } } }),
  AgentServiceMonitor: (chart, profile) => new AgentServiceMonitor(chart, 'Monitor', { target: agentMetricsTarget(agent(chart, profile)) }),
  AlertRules: (chart) => {
    const rules = new AlertRules(chart, 'Rules', { name: 'rules', namespace: 'agents', runbookBaseUrl: RUNBOOKS });
    rules.addAlert({ name: 'Always', expr: 'vector(1)', for: '5m', severity: 'info', summary: 's', description: 'd' });
    return rules;
  },
  AgentDashboard: (chart, profile) => new AgentDashboard(chart, 'Dashboard', { target: agentMetricsTarget(agent(chart, profile)) }),
  // The collector and the log shipper take no profile: their pinned default images in every one.
  OtelCollector: (chart) => new OtelCollector(chart, 'Collector', { namespace: 'agents', traces }),
  FluentBit: (chart) =>
    new FluentBit(chart, 'Logging', {
      namespaces: ['agents'],
      apiServer: { cidrs: ['10.0.0.1/32'] },
      output: { type: 'loki', host: 'loki.logging.svc', egress: { cidr: '10.40.0.0/16', ports: [{ port: 3100 }] } },
    }),
  BackupCronJob: (chart, profile) =>
    new BackupCronJob(chart, 'Backup', {
      name: 'db-backup',
      namespace: 'agents',
      profile,
      schedule: '0 2 * * *',
      engine: postgres(profile),
      target: { volume: { claimName: 'backups' }, s3: { bucket: 'backups', credentials: { secretName: 's3' }, image: image(profile, 'amazon/aws-cli') } },
      alerting: { prometheusRule: { runbookBaseUrl: RUNBOOKS } },
    }),
  RestoreJob: (chart, profile) =>
    new RestoreJob(chart, 'Restore', {
      name: 'db-restore',
      namespace: 'agents',
      profile,
      engine: postgres(profile),
      filePrefix: 'db-backup',
      backup: 'latest',
      source: { volume: { claimName: 'backups' } },
    }),
  MigrationJob: (chart, profile) =>
    new MigrationJob(chart, 'Migrations', {
      name: 'migrations',
      namespace: 'agents',
      profile,
      version: 'v1',
      image: image(profile, 'registry.example.com/agent'),
      command: ['/app/migrate'],
      env: { DATABASE_PASSWORD: { fromSecret: { name: 'db', key: 'password' } } },
    }),
  AgentPlatform: (chart, profile) =>
    new AgentPlatform(chart, 'Platform', {
      name: 'shop',
      namespace: 'shop',
      profile,
      components: {
        ui: { kind: 'frontend', props: { image: image(profile, 'registry.example.com/ui') } },
        api: { kind: 'agent', props: { image: image(profile, 'registry.example.com/api') }, dependsOn: ['llm'] },
        llm: { kind: 'external', host: 'api.openai.com', port: 443, destination: 'internet' },
      },
      hosts: [{ host: 'shop.example.com', via: { type: 'ingress', tls: { secretName: 'shop-tls' } }, paths: [{ path: '/', component: 'ui' }, { path: '/api', component: 'api' }] }],
    }),
  // Dev runs one pod (its default topology); staging and production a primary, two replicas and three Sentinels.
  RedisStore: (chart, profile) =>
    new RedisStore(chart, 'Redis', {
      name: 'redis',
      namespace: 'agents',
      profile,
      role: 'store',
      auth: { secretName: 'redis-auth' },
      alerting: { prometheusRule: { runbookBaseUrl: RUNBOOKS } },
    }),
  StaticFrontend: (chart, profile) =>
    new StaticFrontend(chart, 'Ui', { name: 'ui', namespace: 'agents', profile, image: image(profile, 'registry.example.com/ui'), runtimeConfig: { API_BASE_URL: '/api' } }),
  HostRoutes: (chart, profile) => {
    new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', profile, image: image(profile, 'registry.example.com/agent'), ingressFrom: 'ingress-nginx' });
    return new HostRoutes(chart, 'Routes', {
      name: 'agents',
      namespace: 'agents',
      profile,
      host: 'agents.example.com',
      via: { type: 'ingress', tls: { secretName: 'agents-tls', clusterIssuer: 'letsencrypt-prod' } },
      routes: [
        { path: '/', service: 'agent', port: 80 },
        { path: '/api', service: 'agent', port: 80 },
      ],
    });
  },
  CloudWorkloadIdentity: (chart, profile) => new CloudWorkloadIdentity(chart, 'Identity', { agent: agent(chart, profile), aws: { roleArn: 'arn:aws:iam::123456789012:role/agent' } }),
  // The gateway takes no profile: a pinned image and two replicas in every one.
  ModelGateway: (chart, profile) => {
    new DomainEgress(chart, 'Egress', { enforcement: { type: 'cilium' } });
    const gateway = new ModelGateway(chart, 'Gateway', {
      namespace: 'agents',
      image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable',
      providers: [{ provider: 'openai', models: ['gpt-4o-mini'], apiKey: { secretName: 'llm-keys', key: 'openai' } }],
    });
    gateway.connect(agent(chart, profile));
    return gateway;
  },
  McpServer: (chart, profile) => {
    const server = new McpServer(chart, 'Mcp', { name: 'docs-mcp', namespace: 'agents', profile, image: image(profile, 'registry.example.com/docs-mcp'), tools: ['search_docs', 'fetch_page'] });
    server.connect(agent(chart, profile), { tools: ['search_docs'] });
    return server;
  },
  // Cluster-scoped and profile-free; the agent runs in it.
  SandboxRuntimeClass: (chart, profile) => {
    const rc = new SandboxRuntimeClass(chart, 'Runtime', { preset: 'gvisor' });
    new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', profile, image: image(profile, 'registry.example.com/agent'), sandbox: { runtimeClassName: rc.name } });
    return rc;
  },
  ToolSandbox: (chart, profile) => {
    new SandboxRuntimeClass(chart, 'Runtime', { preset: 'gvisor' });
    const sandbox = new ToolSandbox(chart, 'Sandbox', { name: 'python-sandbox', namespace: 'agents', profile, image: image(profile, 'registry.example.com/python-sandbox'), runtimeClassName: 'gvisor' });
    sandbox.connect(agent(chart, profile));
    return sandbox;
  },
  // The proxy takes no profile: a pinned image and two replicas in every one.
  DomainEgress: (chart, profile) => {
    const egress = new DomainEgress(chart, 'Egress', { enforcement: { type: 'proxy', proxy: { namespace: 'agents', image: 'ubuntu/squid:6.6-24.04_edge' } } });
    egress.allow(agent(chart, profile), [{ domains: ['api.openai.com', '*.example.com'], ports: [443] }]);
    return egress;
  },
  PostgresStore: (chart, profile) =>
    new PostgresStore(chart, 'Postgres', {
      name: 'pg',
      namespace: 'agents',
      profile,
      mode: 'cloudNativePg',
      database: 'app',
      owner: 'app',
      auth: { secretName: 'pg-auth' },
      cloudNativePg: { apiServerCidrs: ['10.0.0.1/32'], backup: { destinationPath: 's3://backups/pg', credentialsSecret: 's3', cidrs: ['10.60.0.0/16'] }, pooler: {} },
    }),
  'PostgresStore (statefulSet)': (chart, profile) =>
    new PostgresStore(chart, 'Postgres', {
      name: 'pg',
      namespace: 'agents',
      profile,
      mode: 'statefulSet',
      database: 'app',
      owner: 'app',
      auth: { secretName: 'pg-auth' },
      ...(profile === 'dev' ? {} : { singleInstanceReason: 'a single instance behind nightly backups' }),
    }),
  PgBouncer: (chart, profile) => {
    const db = new PostgresStore(chart, 'Postgres', { name: 'pg', namespace: 'agents', profile, mode: 'external', database: 'app', owner: 'app', auth: { secretName: 'pg-auth' }, external: { host: 'pg.example.com', cidr: '10.70.0.0/16', dsn: 'postgres://app@pg.example.com:5432/app' } });
    return new PgBouncer(chart, 'Pool', { name: 'pgbouncer', namespace: 'agents', profile, server: db.pgBouncerServer() });
  },
  OpaServer: (chart, profile) =>
    new OpaServer(chart, 'Opa', { name: 'opa', namespace: 'agents', profile, auth: { tokenSecret: { name: 'opa-token', key: 'token' } }, tls: { secretName: 'opa-tls' }, policies: { url: 'https://bundles.example.com', destination: { cidr: '10.80.0.0/16' } } }),
  OpaSidecar: (chart, profile) => new OpaSidecar(chart, 'Opa', { workload: agent(chart, profile), policies: { url: 'https://bundles.example.com', destination: { cidr: '10.80.0.0/16' } } }),
};

/** The waived findings a bundle may report, as `<check> <kind>/<name>`, beyond the dev relaxations of its images. */
const RECORDED: Record<string, string[]> = {
  FluentBit: ['PSS-05 DaemonSet/fluent-bit', 'PSS-18 Namespace/logging'],
  MigrationJob: ['WKL-04 Job/migrations-v1'],
  DomainEgress: ['PRB-03 Deployment/egress-proxy'],
  // The operator creates these pods; the policies record why NET-03 finds none in the bundle.
  PostgresStore: ['NET-03 NetworkPolicy/pg', 'NET-03 NetworkPolicy/pg-pooler-rw'],
  // One instance: the dev relaxation in dev, the given reason elsewhere.
  'PostgresStore (statefulSet)': ['AVL-01 StatefulSet/pg'],
};

/** The objects that run an image and so record the dev profile's mutable tag (IMG-01). */
const WORKLOADS: Record<string, string[]> = {
  SecureAgentDeployment: ['Deployment/agent'],
  ObservabilityStack: ['Deployment/agent'],
  AgentServiceMonitor: ['Deployment/agent'],
  AgentDashboard: ['Deployment/agent'],
  BackupCronJob: ['CronJob/db-backup'],
  RestoreJob: ['Job/db-restore'],
  MigrationJob: ['Job/migrations-v1'],
  HostRoutes: ['Deployment/agent'],
  AgentPlatform: ['Deployment/ui', 'Deployment/api'],
  StaticFrontend: ['Deployment/ui'],
  DomainEgress: ['Deployment/agent'],
  CloudWorkloadIdentity: ['Deployment/agent'],
  ModelGateway: ['Deployment/agent'],
  OpaSidecar: ['Deployment/agent'],
  McpServer: ['Deployment/agent', 'Deployment/docs-mcp'],
  SandboxRuntimeClass: ['Deployment/agent'],
  ToolSandbox: ['Deployment/agent', 'SandboxTemplate/python-sandbox'],
};

/** Workloads that run a single replica in dev (AVL-01 recorded), besides agent Deployments. */
const SINGLE_IN_DEV: Record<string, string[]> = {
  RedisStore: ['StatefulSet/redis'],
  PgBouncer: ['Deployment/pgbouncer'],
  OpaServer: ['Deployment/opa'],
};

/** The waivers the dev profile records: a mutable image on each workload, and one replica on each agent Deployment. */
function devWaivers(name: string): string[] {
  const workloads = WORKLOADS[name] ?? [];
  return [...workloads.map((w) => `IMG-01 ${w}`), ...workloads.filter((w) => w.startsWith('Deployment/')).map((w) => `AVL-01 ${w}`), ...(SINGLE_IN_DEV[name] ?? []).map((w) => `AVL-01 ${w}`)];
}

function bundle(name: string, profile: Profile, check?: (c: Construct) => void): Obj[] {
  return synth(
    (chart) => {
      const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents', profile });
      const construct = CONSTRUCTS[name]!(chart, profile) ?? ns;
      check?.(construct);
    },
    { external: EXTERNAL, profile },
  );
}

/** The kind of each construct's primary object, which `ApiObject.of(construct)` reaches. */
const PRIMARY: Record<string, string> = {
  AgentNamespace: 'Namespace',
  SecureAgentDeployment: 'Deployment',
  EnvConfig: 'ConfigMap',
  ExternalSecretRef: 'ExternalSecret',
  ObservabilityStack: 'PrometheusRule',
  AgentServiceMonitor: 'ServiceMonitor',
  AlertRules: 'PrometheusRule',
  AgentDashboard: 'ConfigMap',
  OtelCollector: 'Deployment',
  FluentBit: 'DaemonSet',
  BackupCronJob: 'CronJob',
  RestoreJob: 'Job',
  MigrationJob: 'Job',
  RedisStore: 'StatefulSet',
  HostRoutes: 'Ingress',
  AgentPlatform: 'Namespace',
  StaticFrontend: 'Deployment',
  DomainEgress: 'Deployment',
  PostgresStore: 'Cluster',
  'PostgresStore (statefulSet)': 'StatefulSet',
  PgBouncer: 'Deployment',
  OpaServer: 'Deployment',
  OpaSidecar: 'ConfigMap',
  CloudWorkloadIdentity: 'ServiceAccount',
  ModelGateway: 'Deployment',
  McpServer: 'Deployment',
  SandboxRuntimeClass: 'RuntimeClass',
  ToolSandbox: 'SandboxTemplate',
};

describe('default children', () => {
  it.each(Object.keys(CONSTRUCTS))('ApiObject.of(%s) is its primary object', (name) => {
    let primary: ApiObject | undefined;
    bundle(name, 'production', (c) => {
      primary = ApiObject.of(c);
    });
    expect(primary?.kind).toBe(PRIMARY[name]);
  });
});

describe.each(PROFILES)('profile %s', (profile) => {
  it.each(Object.keys(CONSTRUCTS))('%s synthesizes with verification on, waiving only what is recorded', (name) => {
    const objs = bundle(name, profile);
    expect(objs.length).toBeGreaterThan(0);
    const report = verify(objs, { external: EXTERNAL });
    expect(report.blocking).toEqual([]);
    const waived = [...new Set(report.waived.map((f) => `${f.checkId} ${f.kind}/${f.name}`))].sort();
    const expected = [...(RECORDED[name] ?? []), ...(profile === 'dev' ? devWaivers(name) : [])].sort();
    expect(waived).toEqual(expected);
  });
});

describe('the dev profile', () => {
  const build = (props: Partial<ConstructorParameters<typeof SecureAgentDeployment>[2]>) =>
    synth((chart) => new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', profile: 'dev', image: 'registry.example.com/agent:latest', ...props }), {
      profile: 'dev',
    });

  it('runs one replica without an HPA or a PDB, and records the single replica and the mutable tag as waivers', () => {
    const objs = build({});
    const dep = one(objs, 'Deployment');
    expect(dep.spec.replicas).toBe(1);
    expect(all(objs, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(all(objs, 'PodDisruptionBudget')).toEqual([]);
    expect(dep.metadata.annotations).toEqual({
      'waivers.cdk8s-agent-platform.dev/AVL-01': "profile 'dev' runs a single replica, so a restart is a short outage; staging and production run two or more",
      'waivers.cdk8s-agent-platform.dev/IMG-01': "profile 'dev' accepts mutable image tags; staging and production require a version tag or a digest",
    });
  });

  it('gets a PDB as soon as more than one pod runs, and records nothing for a pinned image', () => {
    const objs = build({ replicas: 2, image: 'registry.example.com/agent:1.2.3' });
    expect(one(objs, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(one(objs, 'Deployment').metadata.annotations).toBeUndefined();
  });

  it('gets a PDB with an HPA too', () => {
    const objs = build({ autoscaling: { minReplicas: 2, maxReplicas: 3 } });
    expect(all(objs, 'PodDisruptionBudget')).toHaveLength(1);
  });

  it('records plain HTTP on the Ingress as a waiver; other profiles reject it', () => {
    const objs = build({ exposure: { type: 'ingress', host: 'agent.dev.example.com' } });
    expect(one(objs, 'Ingress', 'agent').metadata.annotations['waivers.cdk8s-agent-platform.dev/NET-07']).toBe(
      "profile 'dev' may expose the app over plain HTTP; staging and production require TLS",
    );
    expect(errorOf(() => build({ profile: 'staging', image: 'registry.example.com/agent:1.2.3', exposure: { type: 'ingress', host: 'agent.example.com' } }))).toContain(
      'test/Agent props.exposure.tls:',
    );
  });

  it('fails synth without a PDB for several replicas, as every profile does', () => {
    expect(errorOf(() => build({ replicas: 2, pdb: false }))).toContain('AVL-04 High Deployment agents/agent');
  });
});
