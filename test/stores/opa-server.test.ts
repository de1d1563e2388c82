import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPA_TOKEN_ENV, OpaServer, renderOpaAuthzPolicy, SecureAgentDeployment, type OpaServerProps } from '../../lib/index.js';
import { errorOf, one, synth } from '../util.js';

// No OPA binary is installed here: the objects are checked by the
// verification (Kubernetes schemas, Pod Security, network invariants) and
// OPA's configuration file is checked for the keys OPA reads. The
// system.authz policy is checked by structure and by the small evaluator
// below, which knows only the expression forms the policy uses.

// The insecure form, chosen explicitly (production requires the choice).
const BUNDLE: OpaServerProps = {
  name: 'opa',
  namespace: 'agents',
  policies: { url: 'https://bundles.example.com', resource: 'bundles/sark.tar.gz', destination: { cidr: '10.80.0.0/16' } },
  auth: false,
  tls: false,
};
const SECURE: OpaServerProps = { ...BUNDLE, auth: { tokenSecret: { name: 'opa-token', key: 'token' } }, tls: { secretName: 'opa-tls' } };
const SECRETS = { external: ['Secret/agents/opa-token', 'Secret/agents/opa-tls'] };
const prefix = 'invalid props for test/Opa:\n  test/Opa ';
const rejects = (props: Record<string, unknown>) => errorOf(() => synth((c) => new OpaServer(c, 'Opa', { ...BUNDLE, ...props } as OpaServerProps)));

describe('OpaServer (schema-only: no OPA binary here)', () => {
  it('synthesizes a Deployment, Service, PDB, NetworkPolicy and ServiceMonitor (snapshot)', () => {
    expect(synth((c) => new OpaServer(c, 'Opa', BUNDLE))).toMatchSnapshot();
  });

  it('polls the bundle, logs decisions to stdout, and is ready only once the bundles are active', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', BUNDLE));
    expect(parse(one(objs, 'ConfigMap').data['config.yaml'])).toEqual({
      services: { bundles: { url: 'https://bundles.example.com' } },
      bundles: { opa: { service: 'bundles', resource: 'bundles/sark.tar.gz', polling: { min_delay_seconds: 60, max_delay_seconds: 120 } } },
      decision_logs: { console: true },
      status: { console: true },
    });
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health?bundles&plugins', port: 'diagnostics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'diagnostics' });
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.80.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }] }]);
  });

  it('loads rego files from a ConfigMap', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', { ...BUNDLE, policies: { configMap: 'opa-policies' } }), { external: ['ConfigMap/agents/opa-policies'] });
    const d = one(objs, 'Deployment').spec.template.spec;
    expect(d.containers[0].args.at(-1)).toBe('/policies');
    expect(d.volumes.find((v: { name: string }) => v.name === 'policies').configMap).toEqual({ name: 'opa-policies' });
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([]);
  });

  it('the API admits only declared clients; Prometheus reaches the diagnostic port only (D-SRK-06)', () => {
    const objs = synth((c) => {
      const agent = new SecureAgentDeployment(c, 'Agent', { name: 'sark', namespace: 'agents', image: 'registry.example.com/sark:1.2.3' });
      new OpaServer(c, 'Opa', BUNDLE).allowFrom({ podLabels: { ...agent.selectorLabels } });
    });
    const ingress = one(objs, 'NetworkPolicy', 'opa').spec.ingress;
    expect(ingress.map((r: { ports: { port: number }[] }) => r.ports.map((x) => x.port))).toEqual([[8181], [8282]]);
    expect(ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sark', 'app.kubernetes.io/instance': 'sark' } } }]);
  });
});

describe('OpaServer auth and TLS (D-SRK-06)', () => {
  it('synthesizes the secure form (snapshot)', () => {
    expect(synth((c) => new OpaServer(c, 'Opa', SECURE), SECRETS)).toMatchSnapshot();
  });

  it('runs OPA with token authentication, basic authorization and the library policy; the token only in the environment', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', SECURE), SECRETS);
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.args).toEqual([
      'run',
      '--server',
      '--addr=https://0.0.0.0:8181',
      '--diagnostic-addr=http://0.0.0.0:8282',
      '--config-file=/config/config.yaml',
      '--log-format=json',
      '--tls-cert-file=/tls/tls.crt',
      '--tls-private-key-file=/tls/tls.key',
      '--tls-cert-refresh-period=5m',
      '--authentication=token',
      '--authorization=basic',
      '--ignore=.*',
      '/config/authz.rego',
    ]);
    expect(c.env).toEqual([{ name: OPA_TOKEN_ENV, valueFrom: { secretKeyRef: { name: 'opa-token', key: 'token' } } }]);
    expect(one(objs, 'ConfigMap').data['authz.rego']).toBe(renderOpaAuthzPolicy({ metrics: true }));
  });

  it('serves the API over HTTPS only, probed over HTTPS, from the Secret mounted read-only', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', SECURE), SECRETS);
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.ports).toEqual([{ name: 'https', containerPort: 8181, protocol: 'TCP' }, { name: 'diagnostics', containerPort: 8282, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health?bundles&plugins', port: 'https', scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'https', scheme: 'HTTPS' });
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret).toEqual({ secretName: 'opa-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }], defaultMode: 0o440 });
    expect(c.volumeMounts.find((m: { name: string }) => m.name === 'tls')).toEqual({ name: 'tls', mountPath: '/tls', readOnly: true });
    expect(one(objs, 'Service').spec.ports.map((x: { name: string }) => x.name)).toEqual(['https', 'diagnostics']);
  });

  it('gives clients an https URL, the token and the CA bundle as Secret references', () => {
    let opa!: OpaServer;
    let custom!: OpaServer;
    synth((c) => {
      opa = new OpaServer(c, 'Opa', SECURE);
      custom = new OpaServer(c, 'Opa2', { ...SECURE, name: 'opa2', tls: { secretName: 'opa-tls', caSecretName: 'opa-ca', caKey: 'bundle.pem' } });
    }, { external: [...SECRETS.external, 'Secret/agents/opa-ca'] });
    expect(opa.connection.env()).toEqual({
      OPA_URL: 'https://opa.agents.svc.cluster.local:8181',
      OPA_TOKEN: { fromSecret: { name: 'opa-token', key: 'token' } },
      OPA_TLS_CA_CERT: { fromSecret: { name: 'opa-tls', key: 'ca.crt' } },
    });
    expect(custom.connection.env({ prefix: 'POLICY_' })['POLICY_TLS_CA_CERT']).toEqual({ fromSecret: { name: 'opa-ca', key: 'bundle.pem' } });
    expect(opa.servedPorts).toEqual([{ name: 'https', port: 8181 }]);
    expect(opa.tlsDnsNames).toEqual(['opa.agents.svc.cluster.local', 'opa.agents.svc']);
  });

  it('without auth and tls (chosen explicitly): plain HTTP, no token, probes on the diagnostic port', () => {
    let opa!: OpaServer;
    const objs = synth((c) => (opa = new OpaServer(c, 'Opa', BUNDLE)));
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.args.filter((a: string) => a.startsWith('--auth') || a.startsWith('--tls'))).toEqual([]);
    expect(c.env).toBeUndefined();
    expect(one(objs, 'ConfigMap').data['authz.rego']).toBeUndefined();
    expect(opa.connection.env()).toEqual({ OPA_URL: 'http://opa.agents.svc.cluster.local:8181' });
    expect(opa.tlsDnsNames).toBeUndefined();
  });

  it('dev needs no choice: omitted means off', () => {
    const { auth: _a, tls: _t, ...rest } = BUNDLE;
    const objs = synth((c) => new OpaServer(c, 'Opa', { ...rest, profile: 'dev', image: 'openpolicyagent/opa:0.70.0-static' }), { profile: 'dev' });
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].args).toContain('--addr=0.0.0.0:8181');
  });

  it('the config checksum follows the authorization policy', () => {
    const sum = (props: OpaServerProps) => one(synth((c) => new OpaServer(c, 'Opa', props), SECRETS), 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(sum(SECURE)).not.toBe(sum({ ...SECURE, monitoring: false }));
  });
});

/** The requests OPA would give data.system.authz: method, path (split after the leading "/"), identity. */
interface AuthzInput {
  readonly method: string;
  readonly path: readonly string[];
  readonly identity?: string;
}

/**
 * Evaluates the library's system.authz policy for `input`, knowing only the
 * statement forms it uses (each rule body a conjunction, rules of one name a
 * disjunction, `default allow := false`); any other form throws, so a change
 * of the policy's shape fails here instead of being misread.
 */
function evaluateAuthz(rego: string, input: AuthzInput, env: Record<string, string>): boolean {
  const rules = new Map<string, string[][]>();
  for (const m of rego.matchAll(/^(\w+) if \{\n((?:\t.*\n)*?)\}/gm)) rules.set(m[1]!, [...(rules.get(m[1]!) ?? []), m[2]!.trim().split(/\n\t*/)]);
  const reserved = new Set(JSON.parse(`[${/^reserved := \{(.*)\}$/m.exec(rego)![1]}]`) as string[]);
  const holds = (name: string): boolean => (rules.get(name) ?? []).some((body) => {
    const vars: Record<string, string | undefined> = {};
    return body.every((e) => {
      let m: RegExpExecArray | null;
      if ((m = /^input\.method == "(\w+)"$/.exec(e))) return input.method === m[1];
      if ((m = /^input\.path == (\[.*\])$/.exec(e))) return JSON.stringify(input.path) === JSON.stringify(JSON.parse(m[1]!));
      if ((m = /^input\.method in \{(.*)\}$/.exec(e))) return (JSON.parse(`[${m[1]}]`) as string[]).includes(input.method);
      if ((m = /^count\(input\.path\) > (\d+)$/.exec(e))) return input.path.length > Number(m[1]);
      if ((m = /^input\.path\[(\d+)\] == "(\w+)"$/.exec(e))) return input.path[Number(m[1])] === m[2];
      if ((m = /^not reserved\[input\.path\[(\d+)\]\]$/.exec(e))) return !reserved.has(input.path[Number(m[1])]!);
      if ((m = /^token := opa\.runtime\(\)\.env\.(\w+)$/.exec(e))) return (vars.token = env[m[1]!]) !== undefined;
      if (e === 'token != ""') return vars.token !== '';
      if (e === 'input.identity == token') return input.identity !== undefined && input.identity === vars.token;
      if (/^\w+$/.test(e) && rules.has(e)) return holds(e);
      throw new Error(`the test evaluator does not know: ${e}`);
    });
  });
  if (!/^default allow := false$/m.test(rego)) throw new Error('no default deny');
  return holds('allow');
}

describe('the system.authz policy (checked by structure and a subset evaluator; no OPA binary here)', () => {
  const rego = renderOpaAuthzPolicy({ metrics: true });
  const TOKEN = 'k3y-0f-at-least-32-characters-long';
  const env = { [OPA_TOKEN_ENV]: TOKEN, HOME: '/' };
  const req = (method: string, url: string, identity?: string): boolean => evaluateAuthz(rego, { method, path: url.slice(1).split('/'), ...(identity === undefined ? {} : { identity }) }, env);

  it('is package system.authz, denies by default, and reads the token from the environment, never inline', () => {
    expect(rego.split('\n').filter((l) => l && !l.startsWith('#'))[0]).toBe('package system.authz');
    expect(rego).toContain('\ndefault allow := false\n');
    expect(rego).toContain(`\ttoken := opa.runtime().env.${OPA_TOKEN_ENV}\n`);
    expect(rego.match(/^allow if \{/gm)).toHaveLength(3);
    expect(renderOpaAuthzPolicy({ metrics: false }).match(/^allow if \{/gm)).toHaveLength(2);
    const code = rego.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(code).not.toMatch(/PUT|PATCH|DELETE|policies|query|:= true/);
    expect(code.match(/allow :=/g)).toEqual(["allow :="]);
    expect(code.split('{').length).toBe(code.split('}').length);
  });

  it('lets the token evaluate policies and read documents under /v1/data/', () => {
    expect(req('POST', '/v1/data/sark/authz/allow', TOKEN)).toBe(true);
    expect(req('GET', '/v1/data/sark/authz/allow', TOKEN)).toBe(true);
  });

  it('denies decisions without the token, with another, or when OPA has no token', () => {
    expect(req('POST', '/v1/data/sark/authz/allow')).toBe(false);
    expect(req('POST', '/v1/data/sark/authz/allow', 'guess')).toBe(false);
    expect(req('POST', '/v1/data/sark/authz/allow', '')).toBe(false);
    expect(evaluateAuthz(rego, { method: 'POST', path: ['v1', 'data', 'sark'], identity: '' }, { [OPA_TOKEN_ENV]: '' })).toBe(false);
    expect(evaluateAuthz(rego, { method: 'POST', path: ['v1', 'data', 'sark'], identity: TOKEN }, {})).toBe(false);
  });

  it('denies every write, the policy API, ad-hoc queries, the root and the system tree, even with the token', () => {
    for (const [m, url] of [
      ['PUT', '/v1/policies/sark'],
      ['DELETE', '/v1/policies/sark'],
      ['GET', '/v1/policies'],
      ['PUT', '/v1/data/sark'],
      ['PATCH', '/v1/data/sark'],
      ['DELETE', '/v1/data/sark'],
      ['POST', '/v1/query'],
      ['POST', '/v1/compile'],
      ['GET', '/v1/data'],
      ['GET', '/v1/data/'],
      ['POST', '/v1/data//system/authz'],
      ['GET', '/v1/data/system/authz'],
      ['POST', '/v0/data/sark'],
      ['POST', '/'],
      ['GET', '/v1/config'],
      ['GET', '/v1/status'],
    ] as const) {
      expect([m, url, req(m, url, TOKEN)]).toEqual([m, url, false]);
    }
  });

  it('lets the probes and Prometheus in without a token, and only with GET', () => {
    expect(req('GET', '/health')).toBe(true);
    expect(req('GET', '/metrics')).toBe(true);
    expect(req('POST', '/health')).toBe(false);
    expect(evaluateAuthz(renderOpaAuthzPolicy({ metrics: false }), { method: 'GET', path: ['metrics'] }, env)).toBe(false);
  });
});

describe('OpaServer rejects', () => {
  it('no choice of auth outside dev', () => {
    expect(rejects({ auth: undefined })).toBe(
      `${prefix}props.auth: is not set in the production profile, so it is not said whether any pod that reaches the API may replace a policy, got undefined; give auth: { tokenSecret: { name, key } } (OPA's token authentication and authorization), or auth: false to rely on the NetworkPolicy alone`,
    );
  });
  it('no choice of TLS outside dev', () => {
    expect(rejects({ tls: undefined, profile: 'staging' })).toBe(
      'invalid props for test/Opa:\n  test/Opa props.tls: is not set in the staging profile, so it is not said whether decisions and tokens cross the network in clear text, got undefined; give tls: { secretName } (a kubernetes.io/tls Secret, e.g. from cert-manager), or tls: false when a service mesh encrypts the traffic',
    );
  });
  it('a caller on the plain port name when the API is HTTPS', () => {
    expect(errorOf(() => synth((c) => new OpaServer(c, 'Opa', SECURE).allowFrom({ podLabels: { app: 'x' } }, ['http']), SECRETS))).toBe('test/Opa: OpaServer "opa" serves no port "http"; use https');
  });
  it('a plain-HTTP bundle server outside dev', () => {
    expect(rejects({ policies: { url: 'http://bundles.example.com', destination: { cidr: '10.80.0.0/16' } } })).toBe(
      `${prefix}props.policies.url: is plain HTTP in the production profile, so anyone on the path can change the policies, got "http://bundles.example.com"; serve the bundles over https`,
    );
  });
  it('a bundle destination with neither pods nor cidr', () => {
    expect(rejects({ policies: { url: 'https://bundles.example.com', destination: {} } })).toBe(`${prefix}props.policies.destination: needs exactly one of pods and cidr, got {}; give the bundle service pods, or its CIDR block`);
  });
  it('a single policy server outside dev', () => {
    expect(rejects({ replicas: 1 })).toBe(`${prefix}props.replicas: is a single policy server in the production profile, so every restart denies every decision, got 1; run 2 or more`);
  });
});
