import { k8s } from '../internal/plus.js';

/**
 * Pod Security "restricted", written once: every pod and container of this
 * library gets these contexts.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */

/** The identity a pod runs as. */
export interface RunAs {
  /** UID, never 0. */
  readonly runAsUser: number;
  /** GID. @default - runAsUser */
  readonly runAsGroup?: number;
  /** Group that owns mounted volumes, so they are writable for the pod. @default - runAsGroup */
  readonly fsGroup?: number;
  /** Extra groups of every process (e.g. the group that may read node log files). @default - none */
  readonly supplementalGroups?: readonly number[];
}

/**
 * The restricted pod security context: non-root UID and GID, `fsGroup`
 * (changed only on a root mismatch) so mounted volumes are writable for
 * them, and the RuntimeDefault seccomp profile.
 */
export function restrictedPodSecurityContext(runAs: RunAs): k8s.PodSecurityContext {
  const runAsGroup = runAs.runAsGroup ?? runAs.runAsUser;
  return {
    runAsNonRoot: true,
    runAsUser: runAs.runAsUser,
    runAsGroup,
    fsGroup: runAs.fsGroup ?? runAsGroup,
    fsGroupChangePolicy: 'OnRootMismatch',
    ...(runAs.supplementalGroups ? { supplementalGroups: [...runAs.supplementalGroups] } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The restricted container security context: no privilege escalation, a
 * read-only root filesystem, non-root, every capability dropped,
 * RuntimeDefault seccomp. UID and GID are repeated on the container only
 * when given (a container that runs as another user than the pod).
 */
export function hardenedContainerSecurityContext(runAsUser?: number, runAsGroup?: number): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser,
    runAsGroup,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
