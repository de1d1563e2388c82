import { describe, expect, it } from 'vitest';
import { SecureAgentDeployment, type SecureAgentDeploymentProps } from '../../lib/index.js';
import { errorOf, synth } from '../util.js';

// Inputs the API server or admission would reject, or that cannot work,
// rejected at the construct with the property, the value and the fix.

const base: SecureAgentDeploymentProps = { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3' };

const reject = (props: Partial<SecureAgentDeploymentProps>) => errorOf(() => synth((chart) => new SecureAgentDeployment(chart, 'Agent', { ...base, ...props } as SecureAgentDeploymentProps)));

const TLS = { secretName: 'agent-tls' };

describe('SecureAgentDeployment rejects', () => {
  it.each<[string, Partial<SecureAgentDeploymentProps>, string]>([
    [
      'an IP address as the Ingress host',
      { exposure: { type: 'ingress', host: '203.0.113.10', tls: TLS } },
      `test/Agent props.exposure.host: is an IP address, got "203.0.113.10"; give a DNS name like 'agents.example.com' (an Ingress or HTTPRoute host cannot be an IP)`,
    ],
    [
      'a glob in a Prefix path',
      { exposure: { type: 'ingress', host: 'agents.example.com', tls: TLS, paths: ['/api/*'] } },
      `test/Agent props.exposure.paths[0]: contains a glob or regex character, which a Prefix path matches literally, got "/api/*"; drop it: a prefix path like '/api' already matches everything under /api`,
    ],
    [
      "a path with '/../'",
      { exposure: { type: 'ingress', host: 'agents.example.com', tls: TLS, paths: ['/api/../admin'] } },
      `test/Agent props.exposure.paths[0]: contains '//', '/./' or '/../', got "/api/../admin"; give the normalized path, like '/api/v1'`,
    ],
    [
      'an env name a POSIX shell cannot read',
      { env: { 'log.level': 'info' } },
      `test/Agent props.env.log.level: is not a variable name a POSIX shell can read, got key "log.level"; use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'`,
    ],
    [
      'a NetworkPolicy except outside its cidr',
      { egress: [{ cidr: '10.0.0.0/8', except: ['192.168.0.0/16'], ports: [{ port: 443 }] }] },
      'test/Agent props.egress[0].except[0]: is not strictly inside cidr 10.0.0.0/8, got "192.168.0.0/16"; except only blocks within 10.0.0.0/8, or remove it',
    ],
    [
      'HPA min = max in production',
      { autoscaling: { minReplicas: 3, maxReplicas: 3 } },
      'test/Agent props.autoscaling.maxReplicas: equals autoscaling.minReplicas (3), so the autoscaler can never scale, got 3; raise maxReplicas, or set autoscaling: false and a static replicas count',
    ],
    [
      'explicit resources without a CPU request',
      { resources: { requests: { memory: '512Mi', ephemeralStorage: '1Gi' }, limits: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' } } as never },
      'test/Agent props.resources.requests.cpu: is required, got undefined; give a string',
    ],
    ['NaN replicas', { replicas: Number.NaN, autoscaling: false }, 'test/Agent props.replicas: must be a number, got NaN; pass a number'],
    ['a missing required key', { image: undefined as never }, 'test/Agent props.image: is required, got undefined; give a string'],
    ['a string for an object', { service: 'web' as never }, 'test/Agent props.service: must be an object, got "web"; pass an object'],
  ])('%s', (_name, props, line) => {
    expect(reject(props)).toBe(`invalid props for test/Agent:\n  ${line}`);
  });

  it('an addEgress rule, naming the call and the real path', () => {
    let msg = '';
    synth((c) => {
      const agent = new SecureAgentDeployment(c, 'Agent', base);
      msg = errorOf(() => agent.addEgress({ cidr: '0.0.0.0/0', ports: [{ port: 0 }] }));
    });
    expect(msg).toBe('invalid props for test/Agent:\n  test/Agent addEgress(rule).ports[0].port: is out of range, got 0; use an integer from 1 to 65535');
  });
});
