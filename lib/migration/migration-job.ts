import { Construct } from 'constructs';
import { ANNOTATIONS, recommendedLabels, selectorLabels, toLabelValue } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import { k8s } from '../internal/plus.js';
import { parseProps } from '../internal/props.js';
import { renderEgressRule } from '../network/peers.js';
import { WAIVER_ANNOTATION_PREFIX } from '../validation/internal/annotations.js';
import { ensureVerification } from '../validation/synth.js';
import { defaultPullPolicy, hardenedContainerSecurityContext, renderEnv, renderEnvFrom, renderResources, resolveResources, restrictedPodSecurityContext } from '../workload/container.js';
import { MigrationJobPropsSchema, resolveVersion, versionSlug, type MigrationJobConfig, type MigrationJobProps } from './migration-job-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const MigrationJobIds = {
  Job: 'Job',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/** Why a MigrationJob keeps its finished Job, recorded on the Job as the WKL-04 waiver. */
export const MIGRATION_TTL_WAIVER_REASON =
  'ttlSecondsAfterFinished is unset on purpose: the finished Job is the record that this schema version ran; deleted, a re-apply of the same manifests would run the migration again';

/**
 * A database migration as a versioned Job, the Talos pattern (TAL-P11):
 * the Job is named `<name>-<version>` (`gateway-migrations-v1`), with the
 * version taken from the `version` prop or the image tag, so a new schema
 * version is a new Job and the same version runs once (D-TAL-03).
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
  /** The parsed props, defaults applied. */
  public readonly config: MigrationJobConfig;
  /** The Job name, `<name>-<version>`. */
  public readonly jobName: string;
  /** The version the name carries. */
  public readonly version: string;
  /** The Job. */
  public readonly job: k8s.KubeJob;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the Job's pod. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: MigrationJobProps) {
    super(scope, id);
    const p = parseProps(this, MigrationJobPropsSchema, props);
    ensureVerification(this);
    this.config = p;
    const ns = p.namespace;
    this.version = resolveVersion(p)!;
    this.jobName = `${p.name}-${versionSlug(this.version)}`;
    const labelInputs = { name: p.name, instance: this.jobName, version: toLabelValue(this.version), component: 'migration', partOf: p.partOf };
    const labels = recommendedLabels(labelInputs, p.labels);
    const selector = selectorLabels(labelInputs);
    const meta = (objName: string, kind: string) => {
      claimName(this, kind, ns, objName);
      return { name: objName, namespace: ns, labels };
    };

    const runAsUser = p.securityContext.runAsUser;
    const runAsGroup = p.securityContext.runAsGroup ?? runAsUser;
    const serviceAccountName = p.serviceAccountName ?? p.name;
    const container: k8s.Container = {
      name: 'migrate',
      image: p.image,
      imagePullPolicy: p.imagePullPolicy ?? defaultPullPolicy(p.image),
      ...(p.command ? { command: [...p.command] } : {}),
      ...(p.args ? { args: [...p.args] } : {}),
      ...(Object.keys(p.env).length > 0 ? { env: renderEnv(p.env) } : {}),
      ...(p.envFrom.length > 0 ? { envFrom: renderEnvFrom(p.envFrom) } : {}),
      resources: renderResources(resolveResources(p.resources)),
      securityContext: hardenedContainerSecurityContext(),
      volumeMounts: [{ name: 'scratch', mountPath: p.scratch.mountPath }],
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
    // Declared dependencies, read by the network invariants (as on SecureAgentDeployment).
    const dependsOn = p.egress.flatMap((rule) => {
      if (!('pods' in rule)) return [];
      const app = rule.pods.podLabels['app.kubernetes.io/name'];
      return app ? rule.ports.map((port) => `${rule.pods.namespace ?? ns}/${app}:${port.port}`) : [];
    });
    const ttl = p.ttlSecondsAfterFinished;
    const metadata = meta(this.jobName, 'Job');
    this.job = new k8s.KubeJob(this, MigrationJobIds.Job, {
      metadata: { ...metadata, ...(ttl === undefined ? { annotations: { [`${WAIVER_ANNOTATION_PREFIX}WKL-04`]: MIGRATION_TTL_WAIVER_REASON } } : {}) },
      spec: {
        backoffLimit: p.backoffLimit,
        activeDeadlineSeconds: p.activeDeadlineSeconds,
        ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}),
        template: {
          metadata: { labels, ...(dependsOn.length > 0 ? { annotations: { [ANNOTATIONS.dependsOn]: dependsOn.join(',') } } : {}) },
          spec: {
            // Never: each retry is a new pod, and a failed attempt's logs stay readable.
            restartPolicy: 'Never',
            serviceAccountName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(runAsUser, runAsGroup),
            ...(p.imagePullSecrets.length > 0 ? { imagePullSecrets: p.imagePullSecrets.map((s) => ({ name: s })) } : {}),
            containers: [container],
            volumes: [{ name: 'scratch', emptyDir: { sizeLimit: k8s.Quantity.fromString(p.scratch.sizeLimit) } }],
          },
        },
      },
    });

    if (!p.serviceAccountName) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, MigrationJobIds.ServiceAccount, {
        metadata: meta(p.name, 'ServiceAccount'),
        automountServiceAccountToken: false,
      });
    }
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, MigrationJobIds.NetworkPolicy, {
      metadata: meta(this.jobName, 'NetworkPolicy'),
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: p.egress.map((rule) => renderEgressRule(rule, ns)),
      },
    });
  }
}
