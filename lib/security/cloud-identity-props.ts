import { z } from 'zod';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { problem } from '../internal/props.js';

/** Amazon EKS IAM Roles for Service Accounts. */
export interface AwsIdentityProps {
  /**
   * ARN of the IAM role the agent assumes (its trust policy names the
   * cluster's OIDC provider and this ServiceAccount).
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  readonly roleArn: string;
  /** Use the regional STS endpoint (`eks.amazonaws.com/sts-regional-endpoints`). @default true */
  readonly regionalSts?: boolean;
}

/** GKE Workload Identity. */
export interface GcpIdentityProps {
  /**
   * Google service account the Kubernetes ServiceAccount impersonates
   * (`name@project.iam.gserviceaccount.com`).
   * @see https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
   */
  readonly serviceAccount: string;
}

/** Azure AD Workload Identity. */
export interface AzureIdentityProps {
  /**
   * Client ID (a UUID) of the managed identity or app registration.
   * @see https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
   */
  readonly clientId: string;
  /** Tenant ID (a UUID). @default - the tenant the cluster's webhook is configured with */
  readonly tenantId?: string;
}

/** Props of {@link CloudWorkloadIdentity}: one cloud's identity for one agent. */
export interface CloudWorkloadIdentityProps {
  /** The agent; its dedicated ServiceAccount carries the identity. */
  readonly agent: SecureAgentDeployment;
  /** EKS IRSA. @default - not on AWS */
  readonly aws?: AwsIdentityProps;
  /** GKE Workload Identity. @default - not on GCP */
  readonly gcp?: GcpIdentityProps;
  /** Azure Workload Identity. @default - not on Azure */
  readonly azure?: AzureIdentityProps;
}

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
  error: problem('is not a UUID', "copy it from the identity's overview, like '00000000-0000-0000-0000-000000000000'"),
});

/** Schema of {@link CloudWorkloadIdentityProps}. */
export const CloudWorkloadIdentityPropsSchema = z
  .strictObject({
    agent: z.custom<SecureAgentDeployment>((v) => typeof v === 'object' && v !== null && 'deployment' in v, { error: problem('is not a SecureAgentDeployment', 'pass the agent construct') }),
    aws: z
      .strictObject({
        roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
          error: problem('is not an IAM role ARN', "write it like 'arn:aws:iam::123456789012:role/agent'"),
        }),
        regionalSts: z.boolean().default(true),
      })
      .optional(),
    gcp: z
      .strictObject({
        serviceAccount: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9.:]*\.iam\.gserviceaccount\.com$/, {
          error: problem('is not a Google service account email', "write it like 'agent@my-project.iam.gserviceaccount.com'"),
        }),
      })
      .optional(),
    azure: z.strictObject({ clientId: uuid, tenantId: uuid.optional() }).optional(),
  })
  .superRefine((p, ctx) => {
    const clouds = (['aws', 'gcp', 'azure'] as const).filter((c) => p[c] !== undefined);
    if (clouds.length === 0) ctx.addIssue({ code: 'custom', path: [], message: problem('sets no cloud', 'set one of aws, gcp or azure') });
    if (clouds.length > 1) {
      ctx.addIssue({ code: 'custom', path: [clouds[1]!], message: problem(`is set together with ${clouds[0]}`, 'give the agent the identity of the one cloud it runs in; call other clouds with federation from that identity') });
    }
  });
true satisfies SchemaAgrees<typeof CloudWorkloadIdentityPropsSchema, CloudWorkloadIdentityProps>;
