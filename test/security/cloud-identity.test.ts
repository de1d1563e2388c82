import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { CloudWorkloadIdentity, SecureAgentDeployment, type CloudWorkloadIdentityProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const agent = (chart: Chart, env: Record<string, string> = {}) =>
  new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.0.0', env });

function build(identity: Omit<CloudWorkloadIdentityProps, 'agent'>, env: Record<string, string> = {}): Obj[] {
  return synth((chart) => new CloudWorkloadIdentity(chart, 'Identity', { agent: agent(chart, env), ...identity }));
}

describe('CloudWorkloadIdentity', () => {
  it('annotates the ServiceAccount for EKS IRSA and keeps the token unmounted', () => {
    const objs = build({ aws: { roleArn: 'arn:aws:iam::123456789012:role/agent' } });
    expect(one(objs, 'ServiceAccount', 'agent').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/agent',
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
    });
    expect(one(objs, 'Deployment', 'agent').spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('annotates for GKE Workload Identity and opens the GKE metadata server on its ports only', () => {
    const objs = build({ gcp: { serviceAccount: 'agent-runtime@my-project.iam.gserviceaccount.com' } });
    expect(one(objs, 'ServiceAccount', 'agent').metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'agent-runtime@my-project.iam.gserviceaccount.com' });
    expect(one(objs, 'NetworkPolicy', 'agent').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
      { to: [{ ipBlock: { cidr: '169.254.169.252/32' } }], ports: [{ protocol: 'TCP', port: 988 }] },
    ]);
  });

  it('annotates for Azure Workload Identity and labels the pods for its webhook', () => {
    const objs = build({ azure: { clientId: '11111111-2222-3333-4444-555555555555', tenantId: '66666666-7777-8888-9999-000000000000' } });
    expect(one(objs, 'ServiceAccount', 'agent').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': '11111111-2222-3333-4444-555555555555',
      'azure.workload.identity/tenant-id': '66666666-7777-8888-9999-000000000000',
    });
    expect(one(objs, 'Deployment', 'agent').spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
  });

  it('rejects two clouds, none, and malformed identities', () => {
    expect(errorOf(() => build({ aws: { roleArn: 'arn:aws:iam::123456789012:role/agent' }, gcp: { serviceAccount: 'agent-runtime@my-project.iam.gserviceaccount.com' } }))).toBe(
      'invalid props for test/Identity:\n  test/Identity props.gcp: is set together with aws, got {"serviceAccount":"agent-runtime@my-project.iam.gserviceaccount.com"}; give the agent the identity of the one cloud it runs in; call other clouds with federation from that identity',
    );
    expect(errorOf(() => build({}))).toContain('test/Identity props: sets no cloud');
    expect(errorOf(() => build({ aws: { roleArn: 'my-role' } }))).toContain("test/Identity props.aws.roleArn: is not an IAM role ARN, got \"my-role\"; write it like 'arn:aws:iam::123456789012:role/agent'");
    expect(errorOf(() => build({ azure: { clientId: 'abc' } }))).toContain('test/Identity props.azure.clientId: is not a UUID, got "abc"');
  });

  it('fails synth when the agent also carries a static cloud credential in env', () => {
    const error = errorOf(() => build({ aws: { roleArn: 'arn:aws:iam::123456789012:role/agent' } }, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }));
    expect(error).toContain(
      'props.agent: container "agent" of test/Agent sets AWS_ACCESS_KEY_ID, a static cloud credential, while the agent has aws workload identity; remove it, the cloud SDK takes its credentials from the identity',
    );
  });
});
