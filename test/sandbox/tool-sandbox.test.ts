import { ApiObject, JsonPatch, type Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { SandboxTemplate } from '../../lib/crds/agent-sandbox/extensions.agents.x-k8s.io/v1beta1/SandboxTemplate.js';
import { SandboxWarmPool } from '../../lib/crds/agent-sandbox/extensions.agents.x-k8s.io/v1beta1/SandboxWarmPool.js';
import { DomainEgress, SandboxRuntimeClass, SecureAgentDeployment, ToolSandbox, type ToolSandboxProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const SANDBOX: ToolSandboxProps = {
  name: 'python-sandbox',
  namespace: 'agents',
  image: 'registry.example.com/python-sandbox:3.12.1',
  runtimeClassName: 'gvisor',
};

function build(props: ToolSandboxProps = SANDBOX, wire: (chart: Chart, sandbox: ToolSandbox) => void = () => undefined, enforcement: 'cilium' | 'proxy' = 'cilium'): Obj[] {
  return synth((chart) => {
    new DomainEgress(chart, 'Egress', {
      enforcement: enforcement === 'cilium' ? { type: 'cilium' } : { type: 'proxy', proxy: { namespace: 'egress', image: 'ubuntu/squid:6.6-24.04_edge' } },
    });
    new SandboxRuntimeClass(chart, 'Gvisor', { preset: 'gvisor' });
    wire(chart, new ToolSandbox(chart, 'Sandbox', props));
  });
}

const coder = (chart: Chart) => new SecureAgentDeployment(chart, 'Coder', { name: 'coder', namespace: 'agents', image: 'registry.example.com/coder:1.0.0' });

describe('ToolSandbox', () => {
  it('renders a hardened SandboxTemplate in the sandboxed runtime and a warm pool, valid against the CRD schemas', () => {
    const objs = build(SANDBOX, (chart, s) => s.connect(coder(chart)));
    expect(objs.filter((o) => ['SandboxTemplate', 'SandboxWarmPool', 'NetworkPolicy', 'ServiceAccount'].includes(o.kind) && o.metadata.name === 'python-sandbox')).toMatchSnapshot();
    const template = one(objs, 'SandboxTemplate', 'python-sandbox');
    expect(template.spec).toMatchObject({ networkPolicyManagement: 'Unmanaged', envVarsInjectionPolicy: 'Disallowed' });
    const pod = template.spec.podTemplate.spec;
    expect(pod).toMatchObject({ runtimeClassName: 'gvisor', automountServiceAccountToken: false, serviceAccountName: 'python-sandbox', enableServiceLinks: false });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.volumes.map((v: Obj) => [v.name, v.emptyDir.sizeLimit])).toEqual([
      ['workspace', '1Gi'],
      ['tmp', '256Mi'],
    ]);
    const pool = one(objs, 'SandboxWarmPool', 'python-sandbox');
    expect(pool.spec).toEqual({ replicas: 2, sandboxTemplateRef: { name: 'python-sandbox' } });
    expect(() => new SandboxTemplate(template as never).validate()).not.toThrow();
    expect(() => new SandboxWarmPool(pool as never).validate()).not.toThrow();
    expect(() => new SandboxWarmPool({ ...pool, spec: { replicas: -1 } } as never).validate()).toThrow();
  });

  it('reaches only DNS and its domains, and only connected agents reach it', () => {
    const objs = build({ ...SANDBOX, egressDomains: [{ domains: ['pypi.org', 'files.pythonhosted.org'], ports: [443] }] }, (chart, s) => s.connect(coder(chart)));
    const policy = one(objs, 'NetworkPolicy', 'python-sandbox');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'python-sandbox', 'app.kubernetes.io/instance': 'python-sandbox' });
    expect(policy.spec.egress).toEqual([]);
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coder', 'app.kubernetes.io/instance': 'coder' } } }], ports: [{ protocol: 'TCP', port: 8888 }] },
    ]);
    expect(one(objs, 'CiliumNetworkPolicy', 'python-sandbox-egress-domains').spec.egress.slice(1).map((r: Obj) => r.toFQDNs)).toEqual([[{ matchName: 'pypi.org' }, { matchName: 'files.pythonhosted.org' }]]);
    expect(one(objs, 'NetworkPolicy', 'coder').spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'python-sandbox', 'app.kubernetes.io/instance': 'python-sandbox' } } }], ports: [{ protocol: 'TCP', port: 8888 }] }]);
  });

  it('goes through the egress proxy when that is the enforcement point', () => {
    const objs = build({ ...SANDBOX, egressDomains: [{ domains: ['pypi.org'], ports: [443] }] }, () => undefined, 'proxy');
    const env = one(objs, 'SandboxTemplate').spec.podTemplate.spec.containers[0].env.map((e: Obj) => e.name);
    expect(env).toEqual(['HTTPS_PROXY', 'NO_PROXY']);
    expect(one(objs, 'NetworkPolicy', 'python-sandbox').spec.egress).toHaveLength(1);
  });

  it('is verified like a workload: the sandbox pod gets the Pod Security checks', () => {
    const error = errorOf(() =>
      build(SANDBOX, (_chart, s) => ApiObject.of(s).addJsonPatch(JsonPatch.replace('/spec/podTemplate/spec/containers/0/securityContext/allowPrivilegeEscalation', true))),
    );
    expect(error).toContain('PSS-13 Critical SandboxTemplate agents/python-sandbox spec.podTemplate.spec.containers[0].securityContext.allowPrivilegeEscalation');
  });

  it('keeps no warm pool for size 0, one in dev', () => {
    expect(build({ ...SANDBOX, warmPoolSize: 0 }).filter((o) => o.kind === 'SandboxWarmPool')).toEqual([]);
    const dev = synth(
      (chart) => {
        new SandboxRuntimeClass(chart, 'Gvisor', { preset: 'gvisor' });
        new ToolSandbox(chart, 'Sandbox', { ...SANDBOX, profile: 'dev', image: 'registry.example.com/python-sandbox:latest' });
      },
      { profile: 'dev' },
    );
    expect(one(dev, 'SandboxWarmPool').spec.replicas).toBe(1);
    expect(one(dev, 'SandboxTemplate').metadata.annotations).toEqual({
      'waivers.cdk8s-agent-platform.dev/IMG-01': "profile 'dev' accepts mutable image tags; staging and production require a version tag or a digest",
    });
  });

  it('rejects bad input naming the property and the fix, and a runtime class the app does not have', () => {
    expect(errorOf(() => build({ ...SANDBOX, port: 0 }))).toBe('invalid props for test/Sandbox:\n  test/Sandbox props.port: is out of range, got 0; use an integer from 1 to 65535');
    expect(errorOf(() => build({ ...SANDBOX, warmPoolSize: -1 }))).toBe(
      'invalid props for test/Sandbox:\n  test/Sandbox props.warmPoolSize: is negative, got -1; give 0 for no warm pool, or the sandboxes to keep ready',
    );
    expect(errorOf(() => build({ ...SANDBOX, runAsUser: 0 }))).toBe('invalid props for test/Sandbox:\n  test/Sandbox props.runAsUser: must not be root, got 0; run as a non-zero UID, like 10001');
    expect(errorOf(() => build({ ...SANDBOX, runtimeClassName: 'kata-qemu' }))).toContain(
      'WKL-08 High SandboxTemplate agents/python-sandbox spec.podTemplate.spec.runtimeClassName: pod runs with RuntimeClass "kata-qemu", which is not in the bundle and not declared external',
    );
  });
});
