import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsSubdomain, envVarName, labelMap } from '../core/schemas.js';
import { looksLikeSecretName } from '../core/secret-names.js';
import { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { createConfigMap, managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';

/**
 * Props of {@link EnvConfig}.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#configure-all-key-value-pairs-in-a-configmap-as-container-environment-variables
 */
export interface EnvConfigProps {
  /** Name of the ConfigMap, a DNS-1123 subdomain. */
  readonly name: string;
  /**
   * Namespace: an {@link AgentNamespace}, or a namespace name; the same as the workloads that use it.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /**
   * Variables by name. Names are ones a POSIX shell can read (letters,
   * digits and `_`, not starting with a digit), so entrypoint scripts see
   * them too; secret-like names (`API_KEY`, `*_TOKEN`) are rejected: reference
   * a Secret key in the workload's `env` instead.
   */
  readonly variables: { readonly [name: string]: string };
  /**
   * Extra labels.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
   */
  readonly labels?: { readonly [key: string]: string };
}

/** Runtime check of {@link EnvConfigProps}. */
export const EnvConfigPropsSchema = z.strictObject({
  name: dnsSubdomain,
  namespace: namespaceReference,
  variables: z
    .record(
      envVarName,
      z.string(),
    )
    .superRefine((vars, ctx) => {
      for (const name of Object.keys(vars)) {
        if (looksLikeSecretName(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: problem(`is a secret-like name in a ConfigMap`, "keep secrets in a Secret and reference the key in the workload's env: { fromSecret: { name, key } }"),
          });
        }
      }
    })
    .refine((vars) => Object.keys(vars).length > 0, { error: problem('is empty', 'give at least one variable') }),
  labels: labelMap.default({}),
});
true satisfies SchemaAgrees<typeof EnvConfigPropsSchema, EnvConfigProps>;

/** Construct ids of the children: part of the API, since they name objects. */
export const EnvConfigIds = { ConfigMap: 'ConfigMap' } as const;

/**
 * A ConfigMap of environment variables for workloads to take whole through
 * `envFrom`: pass the construct itself, e.g.
 * `envFrom: [{ configMap: envConfig }]` on a SecureAgentDeployment.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#configure-all-key-value-pairs-in-a-configmap-as-container-environment-variables
 */
export class EnvConfig extends Construct {
  /** Name of the ConfigMap. */
  public readonly name: string;
  /** Namespace of the ConfigMap. */
  public readonly namespace: string;
  /** Names of the variables it holds. */
  public readonly variables: readonly string[];
  /** The ConfigMap; the default child. */
  public readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: EnvConfigProps) {
    super(scope, id);
    const p = parseConstructProps(this, EnvConfigPropsSchema, props);
    [this.name, this.namespace, this.variables] = [p.name, p.namespace, Object.keys(p.variables)];
    const meta = managedMeta(this, 'ConfigMap', p.namespace, p.name, p.labels);
    this.configMap = setPrimary(this, createConfigMap(this, EnvConfigIds.ConfigMap, meta, p.variables));
  }
}
