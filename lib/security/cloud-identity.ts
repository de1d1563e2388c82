import { JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { ReportedError } from '../internal/reported-error.js';
import { parseConstructProps, setPrimary } from '../kit/index.js';
import { CloudWorkloadIdentityPropsSchema, type CloudWorkloadIdentityProps } from './cloud-identity-props.js';

/**
 * Environment variables that carry a static cloud credential (or point at
 * one). An agent with workload identity must not have them: the SDKs prefer
 * them over the identity, so a leaked long-lived key would silently win.
 */
export const STATIC_CLOUD_CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_CREDENTIALS',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_PASSWORD',
] as const;

/**
 * GKE's metadata server, which serves Workload Identity tokens: the
 * link-local address on every node, and on Dataplane V2 the address the node
 * agent listens on.
 * @see https://cloud.google.com/kubernetes-engine/docs/how-to/network-policy#network-policy-and-workload-identity
 */
export const GKE_METADATA_EGRESS = [
  { description: 'GKE metadata server (Workload Identity)', cidr: '169.254.169.254/32', except: [], ports: [{ port: 80 }] },
  { description: 'GKE metadata server on Dataplane V2 (Workload Identity)', cidr: '169.254.169.252/32', except: [], ports: [{ port: 988 }] },
] as const;

/**
 * A cloud identity for an agent, so it calls its cloud's APIs without a
 * stored key: EKS IAM Roles for Service Accounts (`eks.amazonaws.com/role-arn`
 * on the ServiceAccount), GKE Workload Identity
 * (`iam.gke.io/gcp-service-account`, plus egress to the GKE metadata server,
 * the one metadata address the baseline then opens, on its ports only), or
 * Azure Workload Identity (`azure.workload.identity/client-id` on the
 * ServiceAccount and the `azure.workload.identity/use: "true"` pod label its
 * webhook selects). One cloud per agent; synth fails when the agent's
 * containers also carry a static cloud credential in env.
 *
 * The ServiceAccount token stays unmounted: EKS and Azure inject their own
 * projected token, GKE identifies the pod by its address.
 */
export class CloudWorkloadIdentity extends Construct {
  /** The cloud. */
  public readonly cloud: 'aws' | 'gcp' | 'azure';

  constructor(scope: Construct, id: string, props: CloudWorkloadIdentityProps) {
    super(scope, id);
    const p = parseConstructProps(this, CloudWorkloadIdentityPropsSchema, props);
    const agent = p.agent;
    const sa = agent.serviceAccount;
    if (!sa) {
      throw new ReportedError(`${this.node.path} props.agent: ${agent.node.path} brings its own ServiceAccount, which this construct cannot annotate; drop serviceAccountName so the agent gets a dedicated one`);
    }
    // `ApiObject.of(identity)` reaches the ServiceAccount that carries it.
    setPrimary(this, sa);
    if (p.aws) {
      this.cloud = 'aws';
      sa.metadata.addAnnotation('eks.amazonaws.com/role-arn', p.aws.roleArn);
      if (p.aws.regionalSts) sa.metadata.addAnnotation('eks.amazonaws.com/sts-regional-endpoints', 'true');
    } else if (p.gcp) {
      this.cloud = 'gcp';
      sa.metadata.addAnnotation('iam.gke.io/gcp-service-account', p.gcp.serviceAccount);
      for (const rule of GKE_METADATA_EGRESS) agent.addEgress({ ...rule, except: [], ports: [...rule.ports] });
    } else {
      this.cloud = 'azure';
      const azure = p.azure!;
      sa.metadata.addAnnotation('azure.workload.identity/client-id', azure.clientId);
      if (azure.tenantId) sa.metadata.addAnnotation('azure.workload.identity/tenant-id', azure.tenantId);
      agent.deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/labels/azure.workload.identity~1use', 'true'));
    }
    // At synth, so env added after this construct is checked too.
    this.node.addValidation({ validate: () => this.staticCredentials(agent.deployment.toJson() as Record<string, never>, agent.node.path) });
  }

  private staticCredentials(deployment: { spec?: { template?: { spec?: { containers?: { name: string; env?: { name: string }[] }[]; initContainers?: { name: string; env?: { name: string }[] }[] } } } }, agentPath: string): string[] {
    const pod = deployment.spec?.template?.spec ?? {};
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    return containers.flatMap((c) =>
      (c.env ?? [])
        .filter((e) => (STATIC_CLOUD_CREDENTIAL_ENV as readonly string[]).includes(e.name))
        .map(
          (e) =>
            `props.agent: container "${c.name}" of ${agentPath} sets ${e.name}, a static cloud credential, while the agent has ${this.cloud} workload identity; remove it, the cloud SDK takes its credentials from the identity`,
        ),
    );
  }
}
