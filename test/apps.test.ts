import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../apps/main.js';
import { addSarkCharts } from '../apps/sark.js';
import { addWeaverCharts } from '../apps/weaver.js';
import { JsonPatch } from 'cdk8s';
import { AgentNamespace, AgentPlatform, SecureAgentDeployment, verify } from '../lib/index.js';
import { CustomResourceRegistry } from '../lib/validation/schema/custom.js';
import { GENERATED_CUSTOM_RESOURCES } from '../lib/validation/schema/generated.js';
import { validateSchema } from '../lib/validation/schema/index.js';
import { all, one, podSpecs, type Obj } from './util.js';

function charts(): Map<string, Obj[]> {
  const app = buildApp(mkdtempSync(join(tmpdir(), 'cap-app-')));
  return new Map(app.charts.map((c) => [c.node.id, c.toJson() as Obj[]]));
}

const CHARTS = charts();

// The project's one recorded Pod Security exception: the log shipper's own
// namespace runs at `privileged` (hostPath is forbidden even at baseline),
// with the reason on the Namespace and a PSS-05 waiver on the DaemonSet.
const EXCEPTION = 'cdk8s-agent-platform.dev/pod-security-exception';
const HOSTPATH_WAIVER = 'waivers.cdk8s-agent-platform.dev/PSS-05';
// The egress proxy's two probes both check its port (Squid has no health endpoint), waived with that reason.
const EXPECTED_WAIVERS: Record<string, string[]> = {
  agents: [],
  egress: ['PRB-03 Deployment/egress-proxy'],
  skreaver: ['PSS-18 Namespace/logging', 'PSS-05 DaemonSet/fluent-bit'],
  // The migration Job is kept after it finishes, as the record that this schema version ran.
  talos: ['WKL-04 Job/gateway-migrations-3f2c1ab'],
  // The guide's one PostgreSQL server, a single-instance StatefulSet with the reason recorded;
  // the migration Job kept as the record that its migration ran.
  'bss-oss': ['AVL-01 StatefulSet/postgres', 'WKL-04 Job/bss-oss-migrations-001-initial-schema'],
  // The dev profile's recorded relaxations: one API pod, one Redis pod.
  'weaver-dev': ['AVL-01 Deployment/weaver-api', 'AVL-01 StatefulSet/redis'],
  'weaver-staging': [],
  'weaver-production': [],
  // The database's policy selects the pods CloudNativePG makes, which are not in the bundle.
  'sark-small': ['NET-03 NetworkPolicy/postgres'],
  'sark-medium': ['NET-03 NetworkPolicy/postgres'],
  'sark-large': ['NET-03 NetworkPolicy/postgres'],
  'sark-xlarge': ['NET-03 NetworkPolicy/postgres'],
};

const GENERATED = new CustomResourceRegistry([], GENERATED_CUSTOM_RESOURCES);

function exceptionNamespaces(objs: Obj[]): Set<string> {
  return new Set(all(objs, 'Namespace').filter((n) => n.metadata.annotations?.[EXCEPTION]).map((n) => n.metadata.name as string));
}

describe('apps', () => {
  it('has the default chart, the platform egress chart, and the guides\' charts', () => {
    expect([...CHARTS.keys()]).toEqual(['agents', 'egress', 'skreaver', 'talos', 'bss-oss', 'weaver-dev', 'weaver-staging', 'weaver-production', 'sark-small', 'sark-medium', 'sark-large', 'sark-xlarge']);
  });

  for (const [name, objs] of CHARTS) {
    describe(`chart ${name}`, () => {
      it('matches its snapshot', () => {
        expect(objs).toMatchSnapshot();
      });

      it('runs every pod under Pod Security restricted, but for the recorded hostPath exception', () => {
        const pods = podSpecs(objs);
        expect(pods.length).toBeGreaterThan(0);
        const exempt = exceptionNamespaces(objs);
        for (const { owner, spec } of pods) {
          const podCtx = spec.securityContext ?? {};
          const workload = objs.find((o) => `${o.kind}/${o.metadata.name}` === owner)!;
          const hostPathAllowed = exempt.has(workload.metadata.namespace) && workload.metadata.annotations?.[HOSTPATH_WAIVER] !== undefined;
          expect(podCtx.runAsNonRoot, owner).toBe(true);
          expect(podCtx.seccompProfile, owner).toEqual({ type: 'RuntimeDefault' });
          expect(spec.hostNetwork ?? false, owner).toBe(false);
          expect(spec.hostPID ?? false, owner).toBe(false);
          expect(spec.hostIPC ?? false, owner).toBe(false);
          for (const v of spec.volumes ?? []) {
            if (v.hostPath && hostPathAllowed) {
              // Mounted read-only wherever it is mounted.
              const mounts = spec.containers.flatMap((c: Obj) => c.volumeMounts ?? []).filter((m: Obj) => m.name === v.name);
              expect(mounts.length, `${owner} volume ${v.name}`).toBeGreaterThan(0);
              expect(mounts.every((m: Obj) => m.readOnly === true), `${owner} volume ${v.name}`).toBe(true);
              continue;
            }
            expect(Object.keys(v).filter((k) => k !== 'name'), `${owner} volume ${v.name}`).toEqual([
              expect.stringMatching(/^(configMap|csi|downwardAPI|emptyDir|ephemeral|persistentVolumeClaim|projected|secret)$/),
            ]);
          }
          for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
            const where = `${owner} container ${c.name}`;
            expect(c.securityContext.allowPrivilegeEscalation, where).toBe(false);
            expect(c.securityContext.capabilities, where).toEqual({ drop: ['ALL'] });
            expect(c.securityContext.readOnlyRootFilesystem, where).toBe(true);
            expect(c.securityContext.privileged ?? false, where).toBe(false);
            expect(c.securityContext.runAsUser ?? podCtx.runAsUser, where).toBeGreaterThan(0);
            expect((c.ports ?? []).every((p: Obj) => p.hostPort === undefined), where).toBe(true);
          }
        }
      });

      it('makes every namespace restricted (one recorded exception) and default-deny with DNS allowed', () => {
        const namespaces = all(objs, 'Namespace');
        expect(namespaces.length).toBeGreaterThan(0);
        const exempt = exceptionNamespaces(objs);
        expect(exempt.size).toBeLessThanOrEqual(1);
        for (const ns of namespaces) {
          const n = ns.metadata.name;
          expect(ns.metadata.namespace).toBeUndefined();
          expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(exempt.has(n) ? 'privileged' : 'restricted');
          expect(ns.metadata.labels['pod-security.kubernetes.io/audit']).toBe('restricted');
          expect(ns.metadata.labels['pod-security.kubernetes.io/warn']).toBe('restricted');
          const policies = all(objs, 'NetworkPolicy').filter((p) => p.metadata.namespace === n);
          expect(policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.join() === 'Ingress,Egress' && !p.spec.ingress && !p.spec.egress)).toBe(true);
          const dns = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && (p.spec.egress ?? []).some((e: Obj) => e.ports?.some((port: Obj) => port.port === 53)));
          expect(dns?.spec.egress[0].ports).toEqual([
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ]);
        }
        // Every namespaced object lands in a namespace this chart creates;
        // cluster-scoped objects carry none.
        const names = new Set(namespaces.map((n) => n.metadata.name));
        const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'RuntimeClass']);
        for (const o of objs) {
          const where = `${o.kind}/${o.metadata.name}`;
          if (clusterScoped.has(o.kind)) expect(o.metadata.namespace, where).toBeUndefined();
          else expect(names.has(o.metadata.namespace), where).toBe(true);
        }
      });

      it.each(['1.28', '1.31'] as const)('passes strict schema validation for Kubernetes %s', (version) => {
        // With the library's generated custom resource schemas (CloudNativePG, MCP and agent-sandbox kinds), as the verification has them.
        expect(validateSchema(objs, { kubernetesVersion: version, customResources: GENERATED })).toEqual([]);
      });

      it('has no Critical or High finding in the full verification', () => {
        const report = verify(objs);
        expect(report.blocking).toEqual([]);
        expect(report.waived.map((f) => `${f.checkId} ${f.kind}/${f.name}`)).toEqual(EXPECTED_WAIVERS[name]);
        for (const w of report.waived) expect(w.waived?.reason.length).toBeGreaterThan(20);
      });

      it('references no inline secret values', () => {
        expect(all(objs, 'Secret')).toEqual([]);
      });
    });
  }

  it('synthesizes every chart to its own file with `cdk8s synth` from the compiled app', () => {
    const out = mkdtempSync(join(tmpdir(), 'cap-synth-'));
    try {
      execFileSync('npx', ['cdk8s', 'synth', '--output', out], { env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' }, stdio: 'pipe' });
      // The platform charts write their topology next to their YAML.
      const topology = (chart: string) => [`${chart}.topology.mmd`, `${chart}.topology.svg`];
      const platforms = ['talos', 'bss-oss', 'weaver-dev', 'weaver-staging', 'weaver-production', 'sark-small', 'sark-medium', 'sark-large', 'sark-xlarge'];
      expect(readdirSync(out).sort()).toEqual(['agents.k8s.yaml', 'egress.k8s.yaml', 'skreaver.k8s.yaml', ...platforms.flatMap((p) => [`${p}.k8s.yaml`, ...topology(p)])].sort());
      for (const file of readdirSync(out).filter((f) => f.endsWith('.k8s.yaml'))) {
        const docs = parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((d) => d.toJS() as Obj);
        expect(docs).toEqual(CHARTS.get(file.replace('.k8s.yaml', '')));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  describe('the Weaver environments', () => {
    const app = Testing.app();
    const charts = addWeaverCharts(app);
    const picture = (chart: Chart) => {
      const t = (chart.node.findChild('Platform') as AgentPlatform).topology(chart.toJson());
      const label = (id: string) => t.nodes.find((n) => n.id === id)!.label;
      return { t, edges: t.edges.map((e) => `${label(e.from)} -> ${label(e.to)} ${e.ports.join(',')}`) };
    };

    it.each(charts.map((c) => [c.node.id, c] as const))('%s: every edge the policies allow is declared; the API reaches the providers through the model gateway only', (id, chart) => {
      const { t, edges } = picture(chart);
      expect(t.edges.filter((e) => e.status !== 'declared')).toEqual([]);
      const objs = chart.toJson() as Obj[];
      const api = one(objs, 'Deployment', 'weaver-api').spec.template.spec.containers[0];
      expect(JSON.stringify(one(objs, 'NetworkPolicy', 'weaver-api').spec.egress)).not.toContain('0.0.0.0/0');
      expect(JSON.stringify(api.env)).not.toContain('weaver-model-keys');
      if (id === 'weaver-dev') {
        // The stub model and disabled telemetry: nothing leaves the namespace but DNS.
        expect(edges.filter((e) => e.startsWith('weaver-api -> '))).toEqual(['weaver-api -> redis 6379']);
        expect(all(objs, 'Deployment').map((d) => d.metadata.name)).not.toContain('model-gateway');
        return;
      }
      expect(edges.filter((e) => e.startsWith('weaver-api -> ') || e.startsWith('model-gateway -> '))).toEqual([
        'weaver-api -> model-gateway 4000',
        'weaver-api -> redis 6379,26379',
        'weaver-api -> egress/egress-proxy 3128',
        'model-gateway -> egress/egress-proxy 3128',
      ]);
      const url = `http://model-gateway.${chart.node.id === 'weaver-production' ? 'weaver-ai' : 'weaver-ai-staging'}.svc.cluster.local:4000`;
      expect(api.env).toContainEqual({ name: 'WEAVER_MODEL_BASE_URL', value: `${url}/v1` });
      expect(api.env).toContainEqual({ name: 'OPENAI_BASE_URL', value: `${url}/v1` });
      const gateway = one(objs, 'Deployment', 'model-gateway').spec.template.spec.containers[0];
      const keys = gateway.env.filter((e: Obj) => e.valueFrom).map((e: Obj) => `${e.name}=${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
      const config = parseAllDocuments(one(objs, 'ConfigMap', 'model-gateway-config').data['config.yaml'])[0]!.toJS() as Obj;
      expect(config.model_list.map((m: Obj) => m.litellm_params.model)).toEqual(id === 'weaver-production' ? ['openai/gpt-4', 'anthropic/claude-sonnet-4-5'] : ['openai/gpt-3.5-turbo']);
      expect(config.router_settings).toEqual(id === 'weaver-production' ? { fallbacks: [{ 'gpt-4': ['claude-sonnet-4-5'] }] } : undefined);
      expect(keys).toEqual(id === 'weaver-production' ? ['OPENAI_API_KEY=weaver-model-keys/openai', 'ANTHROPIC_API_KEY=weaver-model-keys/anthropic'] : ['OPENAI_API_KEY=weaver-model-keys/openai']);
    });
  });

  describe('the SARK tiers', () => {
    const app = Testing.app();
    const charts = addSarkCharts(app);

    it.each(charts.map((c) => [c.node.id, c] as const))('%s: every edge the policies allow is declared; OPA and PostgreSQL are reached by one caller each', (_, chart) => {
      const platform = chart.node.findChild('Platform') as AgentPlatform;
      const edges = platform.topology(chart.toJson()).edges;
      expect(edges.filter((e) => e.status !== 'declared')).toEqual([]);
      const inside = edges.filter((e) => !e.from.includes(':')).map((e) => `${e.from} -> ${e.to} ${e.ports.join(',')}`);
      // The database's instance managers call the API server, as CloudNativePG needs.
      expect(inside).toEqual(['sark -> redis 6379,26379', 'sark -> pgbouncer 6432', 'sark -> opa 8181', 'pgbouncer -> postgres 5432', 'postgres -> cidr:10.100.0.1/32 443,6443']);
    });

    it('scales the database, the pooler and the API together, within the connection budget', () => {
      const budget = charts.map((c) => {
        const objs = c.toJson() as Obj[];
        const hpa = one(objs, 'HorizontalPodAutoscaler', 'sark-hpa').spec.maxReplicas as number;
        const api = Number(/=(\d+)$/.exec(one(objs, 'Deployment', 'sark').spec.template.metadata.annotations['cdk8s-agent-platform.dev/connections'])![1]);
        const pool = one(objs, 'Deployment', 'pgbouncer').spec.template.metadata.annotations;
        const db = one(objs, 'Cluster', 'postgres').metadata.annotations['cdk8s-agent-platform.dev/connection-limit'];
        return `${c.node.id}: ${hpa} x ${api} <= ${pool['cdk8s-agent-platform.dev/connection-limit']}; ${pool['cdk8s-agent-platform.dev/connections']} x 2 <= ${db}`;
      });
      expect(budget).toEqual([
        'sark-small: 5 x 120 <= 2000; sark-small/postgres=40 x 2 <= 97',
        'sark-medium: 10 x 120 <= 2000; sark-medium/postgres=80 x 2 <= 197',
        'sark-large: 20 x 120 <= 3000; sark-large/postgres=120 x 2 <= 297',
        'sark-xlarge: 32 x 120 <= 4000; sark-xlarge/postgres=120 x 2 <= 297',
      ]);
    });
  });

  it('fails synth with one report of every blocking finding and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cap-verify-')), 'dist');
    const app = new App({ outdir: out });
    const chart = new Chart(app, 'broken');
    new AgentNamespace(chart, 'Ns', { name: 'agents' });
    const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.0.0' });
    // The escape hatch can still break the rules; verification catches it.
    agent.deployment.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation', true));
    agent.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostNetwork', true));
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    // One report: lowercase, the construct path and the field on every line, warnings after errors.
    expect(message).toBe(
      [
        'synth failed: 2 errors, 1 warning; no YAML was written',
        'error: broken/Agent/Deployment: PSS-02 Critical Deployment agents/agent spec.template.spec.hostNetwork: pod shares the host network namespace, got hostNetwork true; fix: remove hostNetwork or set it to false',
        'error: broken/Agent/Deployment: PSS-13 Critical Deployment agents/agent spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation: container "agent" may escalate privileges, got allowPrivilegeEscalation true; fix: set securityContext.allowPrivilegeEscalation: false',
        '',
        'warning: broken/Agent/Deployment: IMG-02 Medium Deployment agents/agent spec.template.spec.containers[0].image: container "agent" image is not pinned by digest, got "registry.example.com/agent:1.0.0"; fix: append @sha256:<digest> (keep the tag for readability)',
      ].join('\n'),
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('writes nothing when props are bad', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cap-bad-')), 'dist');
    expect(() => {
      const app = new App({ outdir: out });
      const chart = new Chart(app, 'bad');
      new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:latest' });
      app.synth();
    }).toThrow(/props\.image: is a mutable image \(:latest\) in the production profile/);
    expect(existsSync(out)).toBe(false);
  });
});
