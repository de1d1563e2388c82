import { createHash } from 'node:crypto';
import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { ObjectMeta } from './metadata.js';

/**
 * The sha256 of configuration text, for the `checksum/config` pod
 * annotation: changed content changes the pod template, which rolls the pods.
 */
export function configChecksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Creates a ConfigMap holding `data` (file name to content). */
export function createConfigMap(scope: Construct, id: string, metadata: ObjectMeta, data: Readonly<Record<string, string>>): k8s.KubeConfigMap {
  return new k8s.KubeConfigMap(scope, id, { metadata, data: { ...data } });
}
