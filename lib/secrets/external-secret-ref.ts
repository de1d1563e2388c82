import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { dnsSubdomain, labelMap } from '../core/schemas.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';

/**
 * The store an ExternalSecret reads from.
 * @see https://external-secrets.io/latest/api/secretstore/
 */
export interface SecretStoreReference {
  /** Store name. */
  readonly name: string;
  /** A namespaced `SecretStore` or a cluster-wide `ClusterSecretStore`. @default 'SecretStore' */
  readonly kind?: 'SecretStore' | 'ClusterSecretStore';
}

/**
 * One key of the produced Secret and where its value comes from.
 * @see https://external-secrets.io/latest/api/externalsecret/
 */
export interface ExternalSecretKey {
  /** Key in the produced Secret: letters, digits, `-`, `_` and `.`. */
  readonly secretKey: string;
  /** Key in the external store, e.g. `skreaver/prod/jwt-secret`. */
  readonly remoteKey: string;
  /** A property inside a JSON remote value. @default - the whole value */
  readonly property?: string;
  /** Version of the remote value. @default - the latest */
  readonly version?: string;
}

/**
 * Props of {@link ExternalSecretRef}.
 * @see https://external-secrets.io/latest/api/externalsecret/
 */
export interface ExternalSecretRefProps {
  /** Name of the ExternalSecret and of the Secret it produces. */
  readonly name: string;
  /**
   * Namespace, the workload's: an {@link AgentNamespace}, or a namespace name.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /** The SecretStore or ClusterSecretStore to read from. */
  readonly secretStore: SecretStoreReference;
  /** Keys of the produced Secret and where each comes from; at least one, each key once. */
  readonly data: readonly ExternalSecretKey[];
  /** How often the operator re-reads the store, a Go duration like `1h`; rotation reaches pods within it. @default '1h' */
  readonly refreshInterval?: string;
  /**
   * Extra labels.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
   */
  readonly labels?: { readonly [key: string]: string };
}

/** Runtime check of {@link ExternalSecretRefProps}. */
export const ExternalSecretRefPropsSchema = z
  .strictObject({
    name: dnsSubdomain,
    namespace: namespaceReference,
    secretStore: z.strictObject({ name: dnsSubdomain, kind: z.enum(['SecretStore', 'ClusterSecretStore']).default('SecretStore') }),
    data: z
      .array(
        z.strictObject({
          secretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") }),
          remoteKey: z.string().min(1),
          property: z.string().optional(),
          version: z.string().optional(),
        }),
      )
      .min(1, { error: problem('is empty', 'list at least one key') }),
    refreshInterval: z.string().regex(/^(\d+(s|m|h))+$/, { error: problem('is not a duration', "use a Go duration like '1h' or '15m'") }).default('1h'),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.data.forEach((d, i) => {
      if (seen.has(d.secretKey)) ctx.addIssue({ code: 'custom', path: ['data', i, 'secretKey'], message: problem(`duplicates the key "${d.secretKey}"`, 'give every key its own name') });
      seen.add(d.secretKey);
    });
  });

/** Construct ids of the children: part of the API, since they name objects. */
export const ExternalSecretRefIds = { ExternalSecret: 'ExternalSecret' } as const;

true satisfies SchemaAgrees<typeof ExternalSecretRefPropsSchema, ExternalSecretRefProps>;

// D-SKR-10
/**
 * An External Secrets Operator `ExternalSecret` (external-secrets.io/v1) that
 * produces the Secret a workload references: secret values stay in the
 * external store and never appear in the manifests.
 *
 * Use {@link ExternalSecretRef.env} to reference a key; asking for a key the
 * ExternalSecret does not produce fails synth.
 *
 * @see https://external-secrets.io/latest/api/externalsecret/
 */
export class ExternalSecretRef extends Construct {
  /** The ExternalSecret. */
  public readonly externalSecret: ApiObject;
  /** Name of the Secret it produces. */
  public readonly secretName: string;
  /** Keys of the produced Secret. */
  public readonly keys: readonly string[];

  constructor(scope: Construct, id: string, props: ExternalSecretRefProps) {
    super(scope, id);
    const p = parseConstructProps(this, ExternalSecretRefPropsSchema, props);
    this.secretName = p.name;
    this.keys = p.data.map((d) => d.secretKey);
    const body: IExternalSecret = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: managedMeta(this, 'ExternalSecret', p.namespace, p.name, p.labels),
      spec: {
        refreshInterval: p.refreshInterval,
        secretStoreRef: { name: p.secretStore.name, kind: p.secretStore.kind },
        target: { name: p.name, creationPolicy: 'Owner' },
        data: p.data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.remoteKey, property: d.property, version: d.version } })),
      },
    };
    this.externalSecret = setPrimary(this, new ApiObject(this, ExternalSecretRefIds.ExternalSecret, body as ConstructorParameters<typeof ApiObject>[2]));
  }

  /** An env value referencing `key` of the produced Secret; throws when the key is not produced. */
  public env(key: string): { fromSecret: { name: string; key: string } } {
    if (!this.keys.includes(key)) {
      throw new Error(`${this.node.path}: key "${key}" is not produced by ExternalSecret "${this.secretName}"; add it to props.data or use one of ${this.keys.join(', ')}`);
    }
    return { fromSecret: { name: this.secretName, key } };
  }
}
