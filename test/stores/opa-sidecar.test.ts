import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OpaSidecar, SecureAgentDeployment, type OpaSidecarProps } from '../../lib/index.js';
import { validateSchema } from '../../lib/validation/schema/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

// No OPA binary is installed here: the objects are checked by the
// verification (Kubernetes schemas, Pod Security, probes, network
// invariants) and OPA's flags and configuration file are checked for what
// OPA reads.

const AGENT = { name: 'sark', namespace: 'agents', image: 'registry.example.com/sark:1.2.3' } as const;
const BUNDLE = { url: 'https://bundles.example.com', resource: 'bundles/sark.tar.gz', destination: { cidr: '10.80.0.0/16' } } as const;
const EXTERNAL = ['ConfigMap/agents/sark-policies'];

type Options = Omit<OpaSidecarProps, 'workload'>;
const build = (options: Options = { policies: { configMap: 'sark-policies' } }, agent: Record<string, unknown> = {}) =>
  synth(
    (c) => {
      const workload = new SecureAgentDeployment(c, 'Agent', { ...AGENT, ...agent });
      new OpaSidecar(c, 'Opa', { workload, ...options });
    },
    { external: EXTERNAL },
  );
const pod = (objs: Obj[]) => one(objs, 'Deployment', 'sark').spec.template;
const opa = (objs: Obj[]) => pod(objs).spec.containers.find((c: Obj) => c.name === 'opa');
const prefix = 'invalid props for test/Opa:\n  test/Opa ';
const rejects = (options: Record<string, unknown>, agent: Record<string, unknown> = {}) => errorOf(() => build({ policies: { configMap: 'sark-policies' }, ...options } as Options, agent));

describe('OpaSidecar (schema-only: no OPA binary here)', () => {
  it("adds OPA to the agent's pod (snapshot)", () => {
    expect(build()).toMatchSnapshot();
  });

  it('listens on loopback only; health and metrics on the diagnostic port, which the probes use', () => {
    const objs = build();
    const c = opa(objs);
    expect(c.args).toEqual(['run', '--server', '--addr=127.0.0.1:8181', '--diagnostic-addr=0.0.0.0:8282', '--config-file=/opa/config/config.yaml', '--log-format=json', '--ignore=.*', '/opa/policies']);
    expect(c.ports).toEqual([{ name: 'opa-diagnostic', containerPort: 8282, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'opa-diagnostic' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health?bundles&plugins', port: 'opa-diagnostic' });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi', 'ephemeral-storage': '32Mi' }, limits: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '128Mi' } });
    expect(pod(objs).spec.containers.map((x: Obj) => x.name)).toEqual(['sark', 'opa']);
  });

  it('no NetworkPolicy rule opens an OPA port; the agent gets OPA_URL on loopback', () => {
    const objs = build();
    for (const np of objs.filter((o) => o.kind === 'NetworkPolicy')) {
      const ports = [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])].flatMap((r: Obj) => (r.ports ?? []).map((x: Obj) => x.port));
      expect(ports, np.metadata.name).not.toContain(8181);
      expect(ports, np.metadata.name).not.toContain(8282);
    }
    expect(one(objs, 'NetworkPolicy', 'sark').spec.ingress.flatMap((r: Obj) => r.ports.map((x: Obj) => x.port))).not.toContain(8181);
    expect(pod(objs).spec.containers[0].env).toContainEqual({ name: 'OPA_URL', value: 'http://127.0.0.1:8181' });
  });

  it('policies from a ConfigMap: mounted read-only; config and checksum; decision logs to stdout', () => {
    const objs = build();
    const volumes = pod(objs).spec.volumes;
    expect(volumes).toContainEqual({ name: 'opa-policies', configMap: { name: 'sark-policies' } });
    expect(volumes).toContainEqual({ name: 'opa-config', configMap: { name: 'sark-opa' } });
    expect(volumes).toContainEqual({ name: 'opa-tmp', emptyDir: { sizeLimit: '64Mi' } });
    expect(opa(objs).volumeMounts).toEqual([
      { name: 'opa-config', mountPath: '/opa/config', readOnly: true },
      { name: 'opa-policies', mountPath: '/opa/policies', readOnly: true },
      { name: 'opa-tmp', mountPath: '/tmp' },
    ]);
    const cm = one(objs, 'ConfigMap', 'sark-opa');
    expect(parse(cm.data['config.yaml'])).toEqual({ decision_logs: { console: true }, status: { console: true } });
    expect(pod(objs).metadata.annotations['checksum/opa-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('policies from a bundle server: polled, and the agent may reach that server only', () => {
    const objs = build({ policies: BUNDLE, decisionLogs: false, urlEnv: 'POLICY_URL' });
    expect(parse(one(objs, 'ConfigMap', 'sark-opa').data['config.yaml'])).toEqual({
      services: { bundles: { url: 'https://bundles.example.com' } },
      bundles: { sark: { service: 'bundles', resource: 'bundles/sark.tar.gz', polling: { min_delay_seconds: 60, max_delay_seconds: 120 } } },
      decision_logs: { console: false },
      status: { console: true },
    });
    expect(opa(objs).args).not.toContain('/opa/policies');
    expect(one(objs, 'NetworkPolicy', 'sark').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.80.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    expect(pod(objs).spec.containers[0].env).toContainEqual({ name: 'POLICY_URL', value: 'http://127.0.0.1:8181' });
  });

  it('other ports when the agent uses 8181, and no env with urlEnv: false', () => {
    const objs = build({ policies: { configMap: 'sark-policies' }, port: 18181, diagnosticPort: 18282, urlEnv: false }, { service: { port: 8181 } });
    expect(opa(objs).args.slice(2, 4)).toEqual(['--addr=127.0.0.1:18181', '--diagnostic-addr=0.0.0.0:18282']);
    expect(JSON.stringify(pod(objs).spec.containers[0].env ?? [])).not.toContain('OPA_URL');
  });

  it('passes strict schema validation for Kubernetes 1.28 and 1.31', () => {
    const objs = [...build(), ...build({ policies: BUNDLE })];
    for (const v of ['1.28', '1.31'] as const) expect(validateSchema(objs, { kubernetesVersion: v })).toEqual([]);
  });
});

describe('OpaSidecar rejects', () => {
  it("a port the agent's container already listens on", () => {
    expect(rejects({ port: 8080 })).toBe(`${prefix}props.port: is port http of container "sark" in the pod, and the containers of a pod share its ports, got 8080; give OPA's port another number`);
  });
  it('a diagnostic port equal to the API port', () => {
    expect(rejects({ port: 9000, diagnosticPort: 9000 })).toBe(`${prefix}props.diagnosticPort: equals port, got 9000; give the health and metrics endpoints a port of their own`);
  });
  it('a second OPA sidecar on one workload', () => {
    const err = errorOf(() =>
      synth(
        (c) => {
          const workload = new SecureAgentDeployment(c, 'Agent', AGENT);
          new OpaSidecar(c, 'Opa', { workload, policies: { configMap: 'sark-policies' } });
          new OpaSidecar(c, 'Opa2', { workload, policies: { configMap: 'sark-policies' }, port: 9181, diagnosticPort: 9282 });
        },
        { external: EXTERNAL },
      ),
    );
    expect(err).toBe('invalid props for test/Opa2:\n  test/Opa2 props.workload: already has a container named "opa", got "sark"; add one OPA sidecar per workload, and name no other container opa');
  });
  it('a plain-HTTP bundle server outside dev', () => {
    expect(rejects({ policies: { ...BUNDLE, url: 'http://bundles.example.com' } })).toBe(
      `${prefix}props.policies.url: is plain HTTP in the production profile, so anyone on the path can change the policies, got "http://bundles.example.com"; serve the bundles over https`,
    );
  });
  it('a mutable image outside dev', () => {
    expect(rejects({ image: 'openpolicyagent/opa:latest' })).toBe(
      `${prefix}props.image: is a mutable image (:latest) in the production profile, got "openpolicyagent/opa:latest"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`,
    );
  });
  it('something other than a SecureAgentDeployment as the workload', () => {
    expect(errorOf(() => synth((c) => new OpaSidecar(c, 'Opa', { workload: 'sark', policies: { configMap: 'sark-policies' } } as unknown as OpaSidecarProps)))).toBe(
      `${prefix}props.workload: is not a SecureAgentDeployment, got "sark"; pass the SecureAgentDeployment whose pods get OPA`,
    );
  });
  it('an env name that is not one', () => {
    expect(rejects({ urlEnv: 'opa-url' })).toBe(`${prefix}props.urlEnv: is not a variable name a POSIX shell can read, got "opa-url"; use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'`);
  });
});
