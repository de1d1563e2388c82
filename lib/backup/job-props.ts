import { z } from 'zod';
import { dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import { resourcesSchema, type Resources } from '../workload/container.js';

/** Pod options every backup and restore Job takes. */
export interface JobPodOptions {
  /**
   * Requests and limits of each container: a sizing preset or explicit values.
   * @default 'small'
   * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
   */
  readonly resources?: Resources;
  /** UID of the containers; root (0) is never allowed. @default - 10001, or 65534 (nobody) for files */
  readonly runAsUser?: number;
  /** GID and fsGroup (volumes become group-writable); root (0) is never allowed. @default - runAsUser */
  readonly runAsGroup?: number;
  /** An existing ServiceAccount. @default - a dedicated one without an API token */
  readonly serviceAccountName?: string;
  /** Secrets for pulling the images. @default [] */
  readonly imagePullSecrets?: readonly string[];
  /** Extra labels on every object; they never replace the recommended ones. @default {} */
  readonly labels?: { readonly [key: string]: string };
  /** The `app.kubernetes.io/part-of` label. @default - none */
  readonly partOf?: string;
}

/**
 * Props every backup and restore Job pod takes, spread into
 * BackupCronJobPropsSchema and RestoreJobPropsSchema.
 */
export const jobPodProps = {
  /** Requests and limits of each container. @default 'small' */
  resources: resourcesSchema.default('small'),
  /** UID of the containers. @default - 10001, or 65534 (nobody) for files */
  runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use the non-zero UID of the image user') }).optional(),
  /** GID and fsGroup (volumes become group-writable). @default - runAsUser */
  runAsGroup: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero GID') }).optional(),
  /** An existing ServiceAccount. @default - a dedicated one without an API token */
  serviceAccountName: dnsSubdomain.optional(),
  /** Secrets for pulling the images. @default [] */
  imagePullSecrets: z.array(dnsSubdomain).default([]),
  /** Extra labels on every object; they never replace the recommended ones. @default {} */
  labels: labelMap.default({}),
  /** `app.kubernetes.io/part-of`. @default - none */
  partOf: dnsLabel.optional(),
};
