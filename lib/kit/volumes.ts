import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { WorkloadIdentity } from './metadata.js';

/**
 * Pod volumes and their mounts. The root filesystem of every container is
 * read-only, so everything writable is a volume: an emptyDir with a size
 * limit (it counts against ephemeral storage), a claim, or read-only config.
 */

/** A volume and the mount of it in the main container. */
export interface MountedVolume {
  readonly volume: k8s.Volume;
  readonly mount: k8s.VolumeMount;
}

/** Volumes of a pod with the main container's mounts, in the order added. */
export class VolumeSet {
  /** The pod's volumes. */
  public readonly volumes: k8s.Volume[] = [];
  /** The main container's mounts. */
  public readonly mounts: k8s.VolumeMount[] = [];

  /** Adds a volume and its mount; returns the mount (for other containers to reuse). */
  public add(v: MountedVolume): k8s.VolumeMount {
    this.volumes.push(v.volume);
    this.mounts.push(v.mount);
    return v.mount;
  }

  /** Adds a volume that no container of this set mounts (another container mounts it). */
  public addVolume(volume: k8s.Volume): void {
    this.volumes.push(volume);
  }
}

/** An emptyDir with a size limit (`medium: 'Memory'` for tmpfs). */
export function emptyDirVolume(name: string, sizeLimit: string, medium?: 'Memory'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit), ...(medium ? { medium } : {}) } };
}

/** A writable emptyDir mounted at `mountPath`. */
export function scratchVolume(name: string, mountPath: string, sizeLimit: string, medium?: 'Memory'): MountedVolume {
  return { volume: emptyDirVolume(name, sizeLimit, medium), mount: { name, mountPath } };
}

/** A PersistentVolumeClaim mounted at `mountPath` (read-only when `readOnly`). */
export function claimVolume(name: string, claimName: string, mountPath: string, readOnly = false): MountedVolume {
  return {
    volume: { name, persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly: true } : {}) } },
    mount: { name, mountPath, ...(readOnly ? { readOnly: true } : {}) },
  };
}

/** Keys of a ConfigMap or Secret projected as files: all of them, or `key` as `path`. */
export interface Items {
  readonly key: string;
  readonly path: string;
}

/** A ConfigMap mounted read-only at `mountPath`. */
export function configMapVolume(name: string, configMap: string, mountPath: string, items?: readonly Items[]): MountedVolume {
  return {
    volume: { name, configMap: { name: configMap, ...(items ? { items: items.map((i) => ({ ...i })) } : {}) } },
    mount: { name, mountPath, readOnly: true },
  };
}

/** A Secret mounted read-only at `mountPath`, files with mode `defaultMode`. */
export function secretVolume(name: string, secretName: string, mountPath: string, defaultMode: number, items?: readonly Items[]): MountedVolume {
  return {
    volume: { name, secret: { secretName, ...(items ? { items: items.map((i) => ({ ...i })) } : {}), defaultMode } },
    mount: { name, mountPath, readOnly: true },
  };
}

/**
 * Keys of several Secrets in one read-only directory (a projected volume),
 * files with mode `defaultMode`: a certificate and the CA bundle of another
 * Secret, for instance.
 */
export function projectedSecretsVolume(name: string, mountPath: string, defaultMode: number, sources: readonly { readonly secretName: string; readonly items: readonly Items[] }[]): MountedVolume {
  return {
    volume: { name, projected: { sources: sources.map((s) => ({ secret: { name: s.secretName, items: s.items.map((i) => ({ ...i })) } })), defaultMode } },
    mount: { name, mountPath, readOnly: true },
  };
}

/** A claim a construct creates. */
export interface ClaimSpec {
  /** Object name. */
  readonly name: string;
  readonly size: string;
  readonly accessMode: string;
  /** @default - the cluster default StorageClass */
  readonly storageClassName?: string;
}

/** The spec of a claim (also a StatefulSet's volumeClaimTemplate). */
export function claimSpec(c: Omit<ClaimSpec, 'name'>): k8s.PersistentVolumeClaimSpec {
  return {
    accessModes: [c.accessMode],
    ...(c.storageClassName ? { storageClassName: c.storageClassName } : {}),
    resources: { requests: { storage: k8s.Quantity.fromString(c.size) } },
  };
}

/** Creates a PersistentVolumeClaim in the workload's namespace. */
export function createPersistentVolumeClaim(scope: Construct, id: string, w: WorkloadIdentity, c: ClaimSpec): k8s.KubePersistentVolumeClaim {
  return new k8s.KubePersistentVolumeClaim(scope, id, { metadata: w.meta('PersistentVolumeClaim', c.name), spec: claimSpec(c) });
}
