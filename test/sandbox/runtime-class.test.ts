import { describe, expect, it } from 'vitest';
import { SandboxRuntimeClass, SecureAgentDeployment, type SandboxRuntimeClassProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const sandboxedAgent = (runtimeClassName: string) => ({ name: 'coder', namespace: 'agents', image: 'registry.example.com/coder:1.0.0', sandbox: { runtimeClassName } });

function build(props: SandboxRuntimeClassProps, agentClass?: string): Obj[] {
  return synth((chart) => {
    const rc = new SandboxRuntimeClass(chart, 'Runtime', props);
    new SecureAgentDeployment(chart, 'Agent', sandboxedAgent(agentClass ?? rc.name));
  });
}

describe('SandboxRuntimeClass', () => {
  it('creates the gVisor RuntimeClass, and the agent runs its pods with it', () => {
    const objs = build({ preset: 'gvisor' });
    expect(objs.filter((o) => o.kind === 'RuntimeClass')).toMatchSnapshot();
    expect(one(objs, 'RuntimeClass', 'gvisor')).toMatchObject({ apiVersion: 'node.k8s.io/v1', handler: 'runsc' });
    expect(one(objs, 'RuntimeClass', 'gvisor').scheduling).toBeUndefined();
    expect(one(objs, 'RuntimeClass', 'gvisor').overhead).toBeUndefined();
    expect(one(objs, 'Deployment', 'coder').spec.template.spec.runtimeClassName).toBe('gvisor');
  });

  it('schedules Kata pods on kata-deploy nodes with the VM overhead, and takes overrides', () => {
    const kata = one(build({ preset: 'kata-qemu' }), 'RuntimeClass', 'kata-qemu');
    expect(kata).toMatchObject({ handler: 'kata-qemu', scheduling: { nodeSelector: { 'katacontainers.io/kata-runtime': 'true' } }, overhead: { podFixed: { cpu: '250m', memory: '160Mi' } } });
    const custom = one(
      build({
        preset: 'gvisor',
        name: 'sandboxed',
        nodeSelector: { 'sandbox.gke.io/runtime': 'gvisor' },
        tolerations: [{ key: 'sandbox.gke.io/runtime', value: 'gvisor', effect: 'NoSchedule' }],
        overhead: { cpu: '100m', memory: '64Mi' },
      }),
      'RuntimeClass',
      'sandboxed',
    );
    expect(custom.scheduling).toEqual({
      nodeSelector: { 'sandbox.gke.io/runtime': 'gvisor' },
      tolerations: [{ key: 'sandbox.gke.io/runtime', operator: 'Equal', value: 'gvisor', effect: 'NoSchedule' }],
    });
    expect(custom.overhead).toEqual({ podFixed: { cpu: '100m', memory: '64Mi' } });
    expect(one(build({ preset: 'kata-clh', overhead: false }), 'RuntimeClass', 'kata-clh').overhead).toBeUndefined();
  });

  it('fails synth for a runtime class that is neither created nor declared external', () => {
    expect(errorOf(() => build({ preset: 'gvisor' }, 'kata-qemu'))).toContain(
      'WKL-08 High Deployment agents/coder spec.template.spec.runtimeClassName: pod runs with RuntimeClass "kata-qemu", which is not in the bundle and not declared external, so the API server rejects every pod; fix: add the RuntimeClass (SandboxRuntimeClass), or declare it external as RuntimeClass/kata-qemu (options.external)',
    );
    const objs = synth((chart) => new SecureAgentDeployment(chart, 'Agent', sandboxedAgent('gvisor')), { external: ['RuntimeClass/gvisor'] });
    expect(one(objs, 'Deployment', 'coder').spec.template.spec.runtimeClassName).toBe('gvisor');
  });

  it('rejects bad presets, handlers and names, naming the property and the fix', () => {
    expect(errorOf(() => build({ preset: 'firecracker' as never }))).toBe(
      "invalid props for test/Runtime:\n  test/Runtime props.preset: is not a sandbox runtime preset, got \"firecracker\"; use 'gvisor', 'kata-qemu' or 'kata-clh'",
    );
    expect(errorOf(() => build({ preset: 'gvisor', handler: 'Run_SC' }))).toBe(
      "invalid props for test/Runtime:\n  test/Runtime props.handler: is not a CRI handler name, got \"Run_SC\"; use lowercase letters, digits and '-', like 'runsc'",
    );
    expect(errorOf(() => synth((chart) => new SecureAgentDeployment(chart, 'Agent', sandboxedAgent('G Visor'))))).toBe(
      "invalid props for test/Agent:\n  test/Agent props.sandbox.runtimeClassName: is not a DNS-1123 subdomain, got \"G Visor\"; use lowercase letters, digits, '-' and '.'",
    );
  });
});
