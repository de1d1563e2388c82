import type { Chart } from 'cdk8s';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  AgentNamespace,
  OtelCollector,
  REDACTED_KEY_PATTERN,
  SecureAgentDeployment,
  verify,
  type OtelCollectorProps,
  type SecureAgentDeploymentProps,
} from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const traces: OtelCollectorProps['traces'] = {
  endpoint: 'jaeger-collector.observability.svc:4317',
  egress: { pods: { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'jaeger' } }, ports: [{ port: 4317 }] },
};

function agent(chart: Chart, props: Partial<SecureAgentDeploymentProps> = {}): SecureAgentDeployment {
  return new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3', ...props });
}

function build(props: Partial<OtelCollectorProps> = {}, wire?: (c: OtelCollector, chart: Chart) => void): Obj[] {
  return synth(
    (chart) => {
      const c = new OtelCollector(chart, 'Collector', { namespace: 'agents', traces, ...props });
      wire?.(c, chart);
    },
    // A trust-manager CA bundle from outside the bundle.
    { external: ['ConfigMap/agents/trust-bundle'] },
  );
}

function config(objs: Obj[]): Obj {
  return parse(one(objs, 'ConfigMap', 'otel-collector-config').data['collector.yaml']) as Obj;
}

/** Every component a pipeline names is declared in its section, and every declared one is used. */
function undeclaredComponents(cfg: Obj): string[] {
  const problems: string[] = [];
  for (const [pipeline, p] of Object.entries(cfg.service.pipelines as Record<string, Obj>)) {
    for (const section of ['receivers', 'processors', 'exporters'] as const) {
      const ids: unknown = p[section];
      if (!Array.isArray(ids) || (section !== 'processors' && ids.length === 0)) problems.push(`${pipeline}.${section}: missing`);
      for (const id of Array.isArray(ids) ? ids : []) if (!(id in (cfg[section] ?? {}))) problems.push(`${pipeline}.${section}: ${id}`);
    }
  }
  for (const id of cfg.service.extensions ?? []) if (!(id in (cfg.extensions ?? {}))) problems.push(`service.extensions: ${id}`);
  return problems;
}

describe('OtelCollector', () => {
  it('synthesizes the collector (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  describe('config', () => {
    const cfg = config(build());

    it('references only declared components in its pipelines, and declares none it does not use', () => {
      expect(undeclaredComponents(cfg)).toEqual([]);
      const used = new Set(Object.values(cfg.service.pipelines as Record<string, Obj>).flatMap((p) => [...p.receivers, ...p.processors, ...p.exporters]));
      for (const section of ['receivers', 'processors', 'exporters']) for (const id of Object.keys(cfg[section])) expect(used.has(id), `${section}.${id} is used`).toBe(true);
      expect(Object.keys(cfg.service.pipelines)).toEqual(['traces', 'metrics']);
    });

    it('catches an undeclared component (the check can fail)', () => {
      const broken = structuredClone(cfg);
      broken.service.pipelines.traces.exporters.push('jaeger');
      broken.service.pipelines.metrics.receivers = [];
      expect(undeclaredComponents(broken)).toEqual(['traces.exporters: jaeger', 'metrics.receivers: missing']);
    });

    it('receives OTLP over gRPC and HTTP on the pod IP, with well-formed endpoints', () => {
      expect(cfg.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } });
      for (const e of [cfg.receivers.otlp.protocols.grpc.endpoint, cfg.receivers.otlp.protocols.http.endpoint, cfg.exporters.prometheus.endpoint, cfg.extensions.health_check.endpoint]) {
        expect(e).toMatch(/^\$\{env:MY_POD_IP\}:\d{4,5}$/);
      }
    });

    it('runs memory_limiter first and batch last in every pipeline', () => {
      for (const p of Object.values(cfg.service.pipelines as Record<string, Obj>)) {
        expect(p.processors[0]).toBe('memory_limiter');
        expect(p.processors.at(-1)).toBe('batch');
        expect(p.processors).toContain('attributes/redact');
        expect(p.processors).toContain('redaction');
      }
      expect(cfg.processors.memory_limiter).toEqual({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 });
    });

    it('exports traces over OTLP with verified TLS, never the removed jaeger exporter (D-SKR-16)', () => {
      expect(Object.keys(cfg.exporters).sort()).toEqual(['otlp/traces', 'prometheus']);
      expect(cfg.exporters['otlp/traces'].endpoint).toMatch(/^[a-z0-9.-]+:\d+$/);
      expect(cfg.exporters['otlp/traces'].tls).toEqual({ insecure: false });
    });

    it('deletes Authorization headers and secret-like attributes, keeping token counts (Talos)', () => {
      const actions = cfg.processors['attributes/redact'].actions;
      expect(actions).toEqual([{ pattern: REDACTED_KEY_PATTERN, action: 'delete' }]);
      // Go's RE2 takes the (?i) flag inline; JavaScript takes it as a flag.
      const re = new RegExp(REDACTED_KEY_PATTERN.replace('(?i)', ''), 'i');
      for (const key of ['http.request.header.authorization', 'Authorization', 'auth_token', 'api_key', 'x-api-key', 'db.password', 'client_secret', 'a2a.header_b64u', 'ciphertext_b64u', 'request.signature', 'cookie']) {
        expect(re.test(key), key).toBe(true);
      }
      for (const key of ['gen_ai.usage.input_tokens', 'http.route', 'user.id', 'service.name', 'tokenizer']) expect(re.test(key), key).toBe(false);
      expect(cfg.processors.redaction).toMatchObject({ allow_all_keys: true, summary: 'silent' });
      const values = (cfg.processors.redaction.blocked_values as string[]).map((v) => new RegExp(v.replace('(?i)', ''), 'i'));
      expect(values.some((v) => v.test('Bearer abc.def-ghi'))).toBe(true);
      expect(values.some((v) => v.test('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig'))).toBe(true);
      expect(values.some((v) => v.test('GET /healthz'))).toBe(false);
    });

    it('adds exact keys to redact, and a CA and server name for TLS', () => {
      const c = config(build({ redactKeys: ['llm.prompt'], traces: { ...traces, tls: { ca: { configMap: { name: 'trust-bundle' } }, serverName: 'traces.example.com' } } }));
      expect(c.processors['attributes/redact'].actions[0]).toEqual({ key: 'llm.prompt', action: 'delete' });
      expect(c.exporters['otlp/traces'].tls).toEqual({ insecure: false, ca_file: '/etc/otelcol/ca/ca.crt', server_name_override: 'traces.example.com' });
    });

    it('sends plaintext only with a recorded reason', () => {
      const objs = build({ traces: { ...traces, tls: { insecure: true, insecureReason: 'mesh sidecar encrypts the hop with mTLS' } } });
      expect(config(objs).exporters['otlp/traces'].tls).toEqual({ insecure: true });
      expect(one(objs, 'Deployment').metadata.annotations).toEqual({ 'cdk8s-agent-platform.dev/plaintext-export': 'mesh sidecar encrypts the hop with mTLS' });
    });
  });

  it('runs under Pod Security restricted with two replicas, a PDB and spread', () => {
    const objs = build();
    const dep = one(objs, 'Deployment');
    const pod = dep.spec.template.spec;
    expect(dep.spec.replicas).toBe(2);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod.volumes.map((v: Obj) => Object.keys(v).filter((k) => k !== 'name')[0])).toEqual(['configMap']);
    expect(c.env).toEqual([
      { name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'GOMEMLIMIT', value: '409MiB' },
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 'health' });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'health' });
    expect(pod.topologySpreadConstraints.map((t: Obj) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(one(objs, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(one(objs, 'Service').spec.ports.map((p: Obj) => `${p.name}:${p.port}`)).toEqual(['otlp-grpc:4317', 'otlp-http:4318', 'metrics:8888', 'prom-export:8889']);
  });

  it('admits only Prometheus on the metrics ports until agents are wired, and reaches only the trace backend', () => {
    const np = one(build(), 'NetworkPolicy').spec;
    expect(np.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [
          { port: 8888, protocol: 'TCP' },
          { port: 8889, protocol: 'TCP' },
        ],
      },
    ]);
    expect(np.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jaeger' } } }],
        ports: [{ port: 4317, protocol: 'TCP' }],
      },
    ]);
  });

  describe('wireAgent', () => {
    const objs = build({}, (c, chart) => c.wireAgent(agent(chart, { partOf: 'platform', env: { LOG_LEVEL: 'info' } }), { resourceAttributes: { 'team.name': 'agents, core' } }));
    const dep = one(objs, 'Deployment', 'agent');

    it('gives the agent the OTLP endpoint and resource attributes (semantic-convention environment, D-TAL-10)', () => {
      expect(dep.spec.template.spec.containers[0].env).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'SHUTDOWN_DRAIN_SECONDS', value: '30' },
        { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: '35' },
        { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.agents.svc:4317' },
        { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' },
        {
          name: 'OTEL_RESOURCE_ATTRIBUTES',
          value:
            'service.name=agent,service.version=1.2.3,service.namespace=platform,deployment.environment.name=production,k8s.namespace.name=agents,k8s.deployment.name=agent,team.name=agents%2C%20core',
        },
      ]);
    });

    it('opens the agent egress to the collector and the collector ingress from the agent, on the OTLP port only', () => {
      const agentPolicy = one(objs, 'NetworkPolicy', 'agent').spec;
      expect(agentPolicy.egress).toEqual([
        {
          to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector', 'app.kubernetes.io/instance': 'otel-collector' } } }],
          ports: [{ port: 4317, protocol: 'TCP' }],
        },
      ]);
      expect(dep.spec.template.metadata.annotations['cdk8s-agent-platform.dev/depends-on']).toBe('agents/otel-collector:4317');
      const collectorPolicy = one(objs, 'NetworkPolicy', 'otel-collector').spec;
      expect(collectorPolicy.ingress[0]).toEqual({
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } }],
        ports: [{ port: 4317, protocol: 'TCP' }],
      });
    });

    it('uses port 4318 for OTLP over HTTP', () => {
      const http = build({}, (c, chart) => c.wireAgent(agent(chart), { protocol: 'http/protobuf' }));
      expect(one(http, 'Deployment', 'agent').spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')).toEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.agents.svc:4318' });
      expect(one(http, 'NetworkPolicy', 'otel-collector').spec.ingress[0].ports).toEqual([{ port: 4318, protocol: 'TCP' }]);
    });

    it('passes the whole-bundle verification with the agent and collector in one namespace', () => {
      const bundle = synth((chart) => {
        new AgentNamespace(chart, 'Ns', { name: 'agents' });
        const a = agent(chart);
        const c = new OtelCollector(chart, 'Collector', { namespace: 'agents', traces, image: `otel/opentelemetry-collector-contrib:0.115.1@sha256:${'a'.repeat(64)}` });
        c.wireAgent(a);
      });
      const report = verify(bundle);
      expect(report.blocking).toEqual([]);
      expect(report.waived).toEqual([]);
    });

    it('catches a collector that does not admit the agent (the verification can fail)', () => {
      const unwired = (chart: Chart) => {
        new AgentNamespace(chart, 'Ns', { name: 'agents' });
        const a = agent(chart);
        new OtelCollector(chart, 'Collector', { namespace: 'agents', traces });
        a.addEgress({ pods: { podLabels: { 'app.kubernetes.io/name': 'otel-collector', 'app.kubernetes.io/instance': 'otel-collector' } }, ports: [{ port: 4317 }] });
      };
      expect(errorOf(() => synth(unwired))).toContain('NET-02 High Deployment agents/otel-collector spec.template.metadata.labels: ingress from agents/agent on 4317/TCP');
      // Off here only to read the whole report of the same bundle.
      const bundle = synth(unwired, { verify: 'off' });
      expect(verify(bundle).blocking.map((f) => `${f.checkId} ${f.kind}/${f.name}`)).toEqual(['NET-02 Deployment/otel-collector']);
    });

    it('keeps the agent\'s env rules for added variables: no literal under a secret-like name', () => {
      expect(errorOf(() => build({}, (_c, chart) => agent(chart).addEnv('OTEL_EXPORTER_OTLP_HEADERS_TOKEN', 'abc')))).toMatch(
        /^invalid props for test\/Agent:\n  test\/Agent addEnv\.OTEL_EXPORTER_OTLP_HEADERS_TOKEN: is a literal value under the secret-like name OTEL_EXPORTER_OTLP_HEADERS_TOKEN, got "abc"; reference a Secret instead/,
      );
    });

    it('rejects wiring an agent twice, and an env var the agent already sets', () => {
      expect(errorOf(() => build({}, (c, chart) => {
        const a = agent(chart);
        c.wireAgent(a);
        c.wireAgent(a);
      }))).toBe('test/Collector: test/Agent is already wired to this collector');
      expect(errorOf(() => build({}, (c, chart) => c.wireAgent(agent(chart, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere:4317' } }))))).toBe(
        'test/Agent: env var OTEL_EXPORTER_OTLP_ENDPOINT is already set on container "agent"; set it in one place only',
      );
    });
  });

  describe('rejects', () => {
    it('wireAgent options by name', () => {
      expect(errorOf(() => build({}, (c, chart) => c.wireAgent(agent(chart), { protocol: 'http/json' as 'grpc' })))).toBe(
        'invalid props for test/Collector:\n  test/Collector wireAgent(test/Agent).protocol: is not an allowed value, got "http/json"; use one of "grpc", "http/protobuf"',
      );
    });

    it('an endpoint with a scheme, and plaintext without a reason', () => {
      expect(errorOf(() => build({ traces: { ...traces, endpoint: 'https://tempo:4317', tls: { insecure: true } } }))).toBe(
        [
          'invalid props for test/Collector:',
          "  test/Collector props.traces.endpoint: is not host:port, got \"https://tempo:4317\"; write it like 'jaeger-collector.observability.svc:4317', without a scheme",
          '  test/Collector props.traces.tls.insecureReason: is missing while insecure is true, got undefined; record why plaintext is acceptable, or drop insecure and verify TLS',
        ].join('\n'),
      );
    });

    it('a single replica', () => {
      expect(errorOf(() => build({ replicas: 1 }))).toBe(
        'invalid props for test/Collector:\n  test/Collector props.replicas: must be at least 2, got 1; run 2 or more replicas so a rollout or node drain keeps accepting telemetry',
      );
    });
  });
});
