import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import { managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';

/** Props of {@link ExternalSecretRef}. */
export const ExternalSecretRefPropsSchema = z
  .strictObject({
    /** Name of the ExternalSecret and of the Secret it produces. */
    name: dnsSubdomain,
    /** Namespace (the workload's). */
    namespace: dnsLabel,
    /** The SecretStore or ClusterSecretStore to read from. */
    secretStore: z.strictObject({
      /** Store name. */
      name: dnsSubdomain,
      /** @default 'SecretStore' */
      kind: z.enum(['SecretStore', 'ClusterSecretStore']).default('SecretStore'),
    }),
    /** Keys of the produced Secret and where each comes from. */
    data: z
      .array(
        z.strictObject({
          /** Key in the produced Secret. */
          secretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") }),
          /** Key in the external store, e.g. `skreaver/prod/jwt-secret`. */
          remoteKey: z.string().min(1),
          /** A property inside a JSON remote value. @default - the whole value */
          property: z.string().optional(),
          /** Remote version. @default - latest */
          version: z.string().optional(),
        }),
      )
      .min(1, { error: problem('is empty', 'list at least one key') }),
    /** How often the operator re-reads the store (rotation reaches pods within this). @default '1h' */
    refreshInterval: z.string().regex(/^(\d+(s|m|h))+$/, { error: problem('is not a duration', "use a Go duration like '1h' or '15m'") }).default('1h'),
    /** Extra labels. @default {} */
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

/** Props of {@link ExternalSecretRef}. */
export type ExternalSecretRefProps = Readonly<z.input<typeof ExternalSecretRefPropsSchema>>;

/**
 * An External Secrets Operator `ExternalSecret` (external-secrets.io/v1) that
 * produces the Secret a workload references: secret values stay in the
 * external store and never appear in the manifests.
 *
 * Use {@link ExternalSecretRef.env} to reference a key; asking for a key the
 * ExternalSecret does not produce fails synth (D-SKR-10).
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
