import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { envVarName, portNumber } from '../core/schemas.js';
import type { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { storeResourcesSchema, type StoreResources } from './common.js';
import { checkOpaPolicies, OPA_IMAGE, opaPoliciesSchema, type OpaBundlePolicies, type OpaConfigMapPolicies } from './opa-server-props.js';

/** Name of the OPA container in the agent's pod. */
export const OPA_CONTAINER = 'opa';

/** Requests and limits of the OPA sidecar unless given. */
export const OPA_SIDECAR_RESOURCES = {
  requests: { cpu: '50m', memory: '128Mi', ephemeralStorage: '32Mi' },
  limits: { cpu: '500m', memory: '512Mi', ephemeralStorage: '128Mi' },
} as const;

/**
 * Props of {@link OpaSidecar}: Open Policy Agent in the agent's own pod,
 * answering on loopback only.
 * @see https://www.openpolicyagent.org/docs/latest/deployments/#kubernetes
 */
export interface OpaSidecarProps {
  /** The agent whose pods get the OPA container; its profile applies. */
  readonly workload: SecureAgentDeployment;
  /** Where the policies come from: a ConfigMap of rego files, or a bundle server (the agent's NetworkPolicy gets the egress to it). */
  readonly policies: OpaConfigMapPolicies | OpaBundlePolicies;
  /** Log every decision to stdout (`decision_logs.console`), for the log pipeline. @default true */
  readonly decisionLogs?: boolean;
  /** Image. @default {@link OPA_IMAGE} */
  readonly image?: string;
  /** Port of OPA's API, on 127.0.0.1 only: other pods cannot reach it, whatever the NetworkPolicy says. @default 8181 */
  readonly port?: number;
  /**
   * Port of OPA's health and metrics endpoints, on the pod address so the
   * kubelet can probe it; no NetworkPolicy rule opens it to other pods.
   * @default 8282
   */
  readonly diagnosticPort?: number;
  /** Environment variable of the agent's container holding the API's URL (`http://127.0.0.1:<port>`), or false. @default 'OPA_URL' */
  readonly urlEnv?: string | false;
  /** Requests and limits of the OPA container. @default - {@link OPA_SIDECAR_RESOURCES} */
  readonly resources?: StoreResources;
}

/** The runtime check of {@link OpaSidecarProps}. */
export const OpaSidecarPropsSchema = z
  .strictObject({
    workload: z.custom<SecureAgentDeployment>((v) => v instanceof SecureAgentDeployment, { error: problem('is not a SecureAgentDeployment', 'pass the SecureAgentDeployment whose pods get OPA') }),
    policies: opaPoliciesSchema,
    decisionLogs: z.boolean().default(true),
    image: imageReference.default(OPA_IMAGE),
    port: portNumber.default(8181),
    diagnosticPort: portNumber.default(8282),
    urlEnv: z.union([envVarName, z.literal(false)]).default('OPA_URL'),
    resources: storeResourcesSchema.default(OPA_SIDECAR_RESOURCES),
  })
  .superRefine((p, ctx) => {
    if (!(p.workload instanceof SecureAgentDeployment)) return;
    checkImageForProfile(ctx, p.image, p.workload.profile, ['image']);
    checkOpaPolicies(p.policies, p.workload.profile, ctx);
    checkPorts(p, ctx);
  });

/** Parsed {@link OpaSidecarProps}. */
export type OpaSidecarConfig = z.output<typeof OpaSidecarPropsSchema>;

// Compile-time: the documented interface and the schema describe the same props.
true satisfies SchemaAgrees<typeof OpaSidecarPropsSchema, OpaSidecarProps>;

/** The pod spec the workload renders so far (its own containers and any added before). */
export function renderedPodSpec(w: SecureAgentDeployment): k8s.PodSpec {
  return (w.deployment.toJson() as { spec: { template: { spec: k8s.PodSpec } } }).spec.template.spec;
}

/** OPA's two ports differ from each other and from every port the pod's containers already declare; the pod has no OPA yet. */
function checkPorts(p: OpaSidecarConfig, ctx: z.RefinementCtx): void {
  const pod = renderedPodSpec(p.workload);
  const taken = new Map<number, string>();
  for (const c of pod.containers) for (const port of c.ports ?? []) taken.set(port.containerPort, `port ${port.name ?? port.containerPort} of container "${c.name}"`);
  for (const key of ['port', 'diagnosticPort'] as const) {
    const owner = taken.get(p[key]);
    if (owner) ctx.addIssue({ code: 'custom', path: [key], params: { value: p[key] }, message: problem(`is ${owner} in the pod, and the containers of a pod share its ports`, `give OPA's ${key} another number`) });
  }
  if (p.port === p.diagnosticPort) {
    ctx.addIssue({ code: 'custom', path: ['diagnosticPort'], params: { value: p.diagnosticPort }, message: problem('equals port', 'give the health and metrics endpoints a port of their own') });
  }
  if (pod.containers.some((c) => c.name === OPA_CONTAINER)) {
    ctx.addIssue({ code: 'custom', path: ['workload'], params: { value: p.workload.name }, message: problem(`already has a container named "${OPA_CONTAINER}"`, 'add one OPA sidecar per workload, and name no other container opa') });
  }
}
