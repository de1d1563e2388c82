import { ApiObject } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AgentNamespace, EnvConfig, SecureAgentDeployment, type EnvConfigProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const IMAGE = 'registry.example.com/agent:1.2.3';

function build(props: Partial<EnvConfigProps> = {}): { objs: Obj[]; config?: EnvConfig } {
  let config: EnvConfig | undefined;
  const objs = synth((chart) => {
    const ns = new AgentNamespace(chart, 'Ns', { name: 'agents' });
    config = new EnvConfig(chart, 'Env', { name: 'agent-env', namespace: ns, variables: { LOG_LEVEL: 'info', MODE: 'fast' }, ...props });
    new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: ns, image: IMAGE, envFrom: [{ configMap: config, prefix: 'APP_' }] });
  });
  return { objs, config };
}

describe('EnvConfig', () => {
  it('makes a ConfigMap of the variables that a workload takes whole through envFrom, verified with no external reference', () => {
    const { objs, config } = build();
    const cm = one(objs, 'ConfigMap', 'agent-env');
    expect(cm.metadata).toMatchObject({ namespace: 'agents', labels: { 'app.kubernetes.io/managed-by': expect.any(String) } });
    expect(cm.data).toEqual({ LOG_LEVEL: 'info', MODE: 'fast' });
    expect(one(objs, 'Deployment', 'agent').spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: 'agent-env' }, prefix: 'APP_' }]);
    expect(config!.variables).toEqual(['LOG_LEVEL', 'MODE']);
    expect(ApiObject.of(config!).kind).toBe('ConfigMap');
  });

  const reject = (props: Partial<EnvConfigProps>) => errorOf(() => build(props));
  it.each([
    [
      { variables: { 'log.level': 'info' } },
      `test/Env props.variables.log.level: is not a variable name a POSIX shell can read, got key "log.level"; use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'`,
    ],
    [
      { variables: { '1MODE': 'x' } },
      `test/Env props.variables.1MODE: is not a variable name a POSIX shell can read, got key "1MODE"; use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'`,
    ],
    [
      { variables: { API_TOKEN: 'abc' } },
      `test/Env props.variables.API_TOKEN: is a secret-like name in a ConfigMap, got "abc"; keep secrets in a Secret and reference the key in the workload's env: { fromSecret: { name, key } }`,
    ],
    [{ variables: {} }, 'test/Env props.variables: is empty, got {}; give at least one variable'],
  ])('rejects %j', (props, line) => {
    expect(reject(props)).toBe(`invalid props for test/Env:\n  ${line}`);
  });

  it('rejects an envFrom source that is neither a name nor an EnvConfig', () => {
    const msg = errorOf(() => synth((chart) => new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: IMAGE, envFrom: [{ configMap: 7 as never }] })));
    expect(msg).toBe(
      "invalid props for test/Agent:\n  test/Agent props.envFrom[0].configMap: must be a ConfigMap name or an EnvConfig, got 7; pass the EnvConfig construct, or a ConfigMap name like 'agent-env'",
    );
  });
});
