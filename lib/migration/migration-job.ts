import { Construct } from 'constructs';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  createJob,
  createNetworkPolicy,
  createServiceAccount,
  dependencyEdges,
  dependsOnAnnotation,
  devProfileWaivers,
  hardenedContainer,
  parseConstructProps,
  renderEnv,
  renderEnvFrom,
  restrictedPodSpec,
  scratchVolume,
  setPrimary,
  waiverAnnotations,
  workloadIdentity,
} from '../kit/index.js';
import { renderEgressRule } from '../network/peers.js';
import { resolveResources } from '../workload/container.js';
import { MigrationJobPropsSchema, resolveVersion, versionSlug, type MigrationJobConfig, type MigrationJobProps } from './migration-job-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const MigrationJobIds = {
  Job: 'Job',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
} as const;

// The reason of the WKL-04 waiver.
/** Why a MigrationJob keeps its finished Job, recorded on the Job as the waiver of the bounded-Job check. */
export const MIGRATION_TTL_WAIVER_REASON =
  'ttlSecondsAfterFinished is unset on purpose: the finished Job is the record that this schema version ran; deleted, a re-apply of the same manifests would run the migration again';

// D-TAL-03
/**
 * A database migration as a versioned Job, the Talos pattern (TAL-P11):
 * the Job is named `<name>-<version>` (`gateway-migrations-v1`), with the
 * version taken from the `version` prop or the image tag, so a new schema
 * version is a new Job and the same version runs once.
 *
 * There is no `ttlSecondsAfterFinished` by default. The completed Job stays
 * in the namespace, and re-applying the same manifests finds it unchanged
 * and does nothing. A TTL would delete it, and the next apply or GitOps
 * sync would create it again and run the migration again. The Job's pod
 * template is immutable, which is why the version is in the name: a new
 * image under the old name could not be applied at all.
 *
 * The application does not wait for the Job; its readiness probe does.
 * Until the schema is current, the app's readiness endpoint answers 503 and
 * the rollout waits, with no init container racing other replicas.
 *
 * The pod meets Pod Security `restricted` (non-root, read-only root
 * filesystem with a scratch emptyDir, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp), and a NetworkPolicy admits no
 * ingress and only the egress given.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
export class MigrationJob extends Construct {
  /** The Job name, `<name>-<version>`. */
  public readonly jobName: string;
  /** The version the name carries. */
  public readonly version: string;
  /** The Job (the default child). */
  public readonly job: k8s.KubeJob;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the Job's pod. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    const p = parseConstructProps(this, MigrationJobPropsSchema, props);
    const ns = p.namespace;
    this.version = resolveVersion(p)!;
    this.jobName = `${p.name}-${versionSlug(this.version)}`;
    const w = workloadIdentity(this, { namespace: ns, name: this.jobName, appName: p.name, version: this.version, component: 'migration', partOf: p.partOf, labels: p.labels });
    const ttl = p.ttlSecondsAfterFinished;
    this.job = setPrimary(this, createJob(this, MigrationJobIds.Job, w, {
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      ttlSecondsAfterFinished: ttl,
      podSpec: migrationPodSpec(p),
      // Declared dependencies, read by the network invariants (as on SecureAgentDeployment).
      podAnnotations: dependsOnAnnotation(dependencyEdges(p.egress, ns)),
      annotations: {
        ...(ttl === undefined ? waiverAnnotations(['WKL-04'], MIGRATION_TTL_WAIVER_REASON) : {}),
        ...devProfileWaivers(p.profile, { mutableImage: anyMutableImage([p.image]) }),
      },
    }));
    if (!p.serviceAccountName) this.serviceAccount = createServiceAccount(this, MigrationJobIds.ServiceAccount, w, p.name);
    this.networkPolicy = createNetworkPolicy(this, MigrationJobIds.NetworkPolicy, w, { ingress: [], egress: p.egress.map((rule) => renderEgressRule(rule, ns)) });
  }
}

/** The migration pod: one hardened container with a scratch directory, retried as new pods (`restartPolicy: Never`). */
function migrationPodSpec(p: MigrationJobConfig): k8s.PodSpec {
  const scratch = scratchVolume('scratch', p.scratch.mountPath, p.scratch.sizeLimit);
  const runAsUser = p.securityContext.runAsUser;
  return restrictedPodSpec({
    restartPolicy: 'Never',
    serviceAccountName: p.serviceAccountName ?? p.name,
    runAs: { runAsUser, runAsGroup: p.securityContext.runAsGroup ?? runAsUser },
    imagePullSecrets: p.imagePullSecrets,
    containers: [
      hardenedContainer({
        name: 'migrate',
        image: p.image,
        imagePullPolicy: p.imagePullPolicy,
        command: p.command,
        args: p.args,
        env: renderEnv(p.env),
        envFrom: renderEnvFrom(p.envFrom),
        resources: resolveResources(p.resources),
        volumeMounts: [scratch.mount],
      }),
    ],
    volumes: [scratch.volume],
  });
}
