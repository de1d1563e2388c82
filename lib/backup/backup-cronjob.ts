import { Construct } from 'constructs';
import { parseImage } from '../core/image.js';
import { recommendedLabels, selectorLabels, toLabelValue } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import { k8s } from '../internal/plus.js';
import { parseProps } from '../internal/props.js';
import { ensureVerification } from '../validation/synth.js';
import { resolveResources, restrictedPodSecurityContext } from '../workload/container.js';
import { AlertRules, type AlertOptions } from '../observability/alert-rules.js';
import { backupAlerts, staleAfterSeconds, type AlertSink } from './alerts.js';
import { BackupCronJobPropsSchema, type BackupCronJobConfig, type BackupCronJobProps } from './backup-cronjob-props.js';
import { backupExtension, engineImage, engineUid } from './engines.js';
import {
  commonEnv,
  dependsOn,
  emptyDir,
  engineEgress,
  engineEnv,
  passFileVolume,
  PATHS,
  retentionEnv,
  s3Egress,
  s3Env,
  scriptContainer,
} from './pod.js';
import { longestInterval } from './schedule.js';
import { backupScript, uploadScript } from './scripts.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const BackupCronJobIds = {
  CronJob: 'CronJob',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
  Pvc: 'Pvc',
  Alerts: 'Alerts',
} as const;

/**
 * A scheduled backup that cannot pass for a success when it failed, and
 * whose retention cannot delete the last good backup (D-SKR-01):
 *
 * - the script has no pipeline whose failure could go unseen (it runs the
 *   same under dash, busybox ash and bash); a lock keeps overlapping runs
 *   apart; the dump is written to a `.partial` file of its own, checked
 *   (`pg_restore` reads every block; a plain dump must end with pg_dump's
 *   completion marker; `redis-check-rdb`; `gzip -t` and `tar -t`),
 *   checksummed, and only then renamed into place;
 * - retention runs only after a good backup, checks every existing backup
 *   against its checksum first (a damaged one is renamed to `.corrupt`, the
 *   run fails and nothing is deleted), and always keeps the newest
 *   `retention.minKeep` good backups;
 * - the pod meets Pod Security `restricted` (non-root UID 10001, no
 *   privilege escalation, no capabilities, RuntimeDefault seccomp) with a
 *   read-only root filesystem and a scratch emptyDir (D-SKR-02);
 * - the CronJob has an explicit time zone, `concurrencyPolicy: Forbid`, a
 *   starting deadline, a backoff limit, an active deadline and resources,
 *   and the backups go to a claim it can create and/or to object storage
 *   (D-SKR-03);
 * - a NetworkPolicy lets the pods reach only the database and the storage;
 * - alert rules fire when the last success is older than the schedule
 *   allows, or when a run failed.
 *
 * Credentials come only from Secret references. With object storage, the
 * backup container runs as an init container and an AWS CLI container
 * uploads its result, so an upload never starts after a failed backup.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 */
export class BackupCronJob extends Construct {
  /** The parsed props, defaults applied. */
  public readonly config: BackupCronJobConfig;
  /** Object name of the CronJob. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Backups are named `<filePrefix>-<YYYYMMDDTHHMMSSZ>.<fileExtension>`. */
  public readonly filePrefix: string;
  /** Extension of the backup files (`dump`, `sql.gz`, `rdb`, `tar.gz`). */
  public readonly fileExtension: string;
  /** Labels the Job pods are selected by. */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** The CronJob. */
  public readonly cronJob: k8s.KubeCronJob;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the Job pods: no ingress, egress to the database and the storage. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The backup claim, with `target.volume.create`. */
  public readonly persistentVolumeClaim?: k8s.KubePersistentVolumeClaim;
  /** The backup's own PrometheusRule, with `alerting.prometheusRule`. */
  public readonly alertRules?: AlertRules;
  /** The alerts (none with `alerting: false`), as {@link AlertRules.addAlert} takes them. */
  public readonly alerts: readonly AlertOptions[];
  /**
   * The recovery point objective the schedule implies, in seconds: the
   * longest time between two runs (24 h for a daily schedule in UTC, 25 h
   * across a daylight-saving change in a zone that has one).
   */
  public readonly rpoSeconds: number;
  /** Seconds without a success after which `BackupNotRecent` fires: `rpoSeconds` + starting deadline + active deadline. */
  public readonly staleAfterSeconds: number;
  private alertsWired = false;

  constructor(scope: Construct, id: string, props: BackupCronJobProps) {
    super(scope, id);
    const p = parseProps(this, BackupCronJobPropsSchema, props);
    ensureVerification(this);
    this.config = p;
    const { name, namespace: ns, engine } = p;
    this.name = name;
    this.namespace = ns;
    this.filePrefix = p.filePrefix ?? name;
    this.fileExtension = backupExtension(engine);
    const image = engineImage(engine);
    const labelInputs = { name, instance: name, version: toLabelValue(parseImage(image)?.tag), component: 'backup', partOf: p.partOf };
    const labels = recommendedLabels(labelInputs, p.labels);
    const selector = selectorLabels(labelInputs);
    this.selectorLabels = selector;
    const meta = (objName: string, kind: string) => {
      claimName(this, kind, ns, objName);
      return { name: objName, namespace: ns, labels };
    };

    if (p.target.volume?.create) {
      const c = p.target.volume.create;
      this.persistentVolumeClaim = new k8s.KubePersistentVolumeClaim(this, BackupCronJobIds.Pvc, {
        metadata: meta(p.target.volume.claimName, 'PersistentVolumeClaim'),
        spec: {
          accessModes: [c.accessMode],
          ...(c.storageClassName ? { storageClassName: c.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(c.size) } },
        },
      });
    }

    // Volumes: scratch (HOME, hand-over between containers), the backups,
    // the source of a files backup, a .pgpass Secret.
    const volumes: k8s.Volume[] = [emptyDir('scratch', p.scratchSize)];
    const mounts: k8s.VolumeMount[] = [{ name: 'scratch', mountPath: PATHS.scratch }];
    volumes.push(
      p.target.volume
        ? { name: 'backup', persistentVolumeClaim: { claimName: p.target.volume.claimName } }
        : emptyDir('backup', p.scratchSize),
    );
    mounts.push({ name: 'backup', mountPath: PATHS.backup });
    const uploadMounts = [...mounts];
    if (engine.type === 'files') {
      volumes.push({ name: 'source', persistentVolumeClaim: { claimName: engine.claimName, readOnly: true } });
      mounts.push({ name: 'source', mountPath: PATHS.source, readOnly: true });
    }
    const pgpass = passFileVolume(engine);
    if (pgpass) {
      volumes.push(pgpass.volume);
      mounts.push(pgpass.mount);
    }

    const resources = resolveResources(p.resources);
    const backup = scriptContainer({
      name: 'backup',
      image,
      script: backupScript(engine),
      env: [
        ...commonEnv(this.filePrefix, engine, PATHS.backup),
        ...retentionEnv(p.retention),
        { name: 'BACKUP_DEADLINE_SECONDS', value: String(p.activeDeadlineSeconds) },
        ...engineEnv(engine, name),
      ],
      mounts,
      resources,
    });
    const s3 = p.target.s3;
    const upload = s3
      ? scriptContainer({
          name: 'upload',
          image: s3.image,
          script: uploadScript(),
          env: [...commonEnv(this.filePrefix, engine, PATHS.backup), ...retentionEnv(s3.retention ?? p.retention), ...s3Env(s3)],
          mounts: uploadMounts,
          resources,
        })
      : undefined;

    const runAsUser = p.runAsUser ?? engineUid(engine);
    const runAsGroup = p.runAsGroup ?? runAsUser;
    const serviceAccountName = p.serviceAccountName ?? name;
    const affinity: k8s.Affinity | undefined =
      engine.type === 'files' && engine.colocateWith
        ? {
            // A ReadWriteOnce volume is attached to one node; only pods there can mount it.
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...engine.colocateWith } }, topologyKey: 'kubernetes.io/hostname' }],
            },
          }
        : undefined;
    const annotations = dependsOn(engine, ns);

    this.cronJob = new k8s.KubeCronJob(this, BackupCronJobIds.CronJob, {
      metadata: meta(name, 'CronJob'),
      spec: {
        schedule: p.schedule,
        timeZone: p.timeZone,
        // Two backups at once would compete for the database and the disk.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: p.startingDeadlineSeconds,
        successfulJobsHistoryLimit: p.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: p.failedJobsHistoryLimit,
        suspend: p.suspend,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: p.backoffLimit,
            activeDeadlineSeconds: p.activeDeadlineSeconds,
            template: {
              metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
              spec: {
                // Never: each retry is a new pod, so the logs of a failed attempt stay readable.
                restartPolicy: 'Never',
                serviceAccountName,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: restrictedPodSecurityContext(runAsUser, runAsGroup),
                ...(p.imagePullSecrets.length > 0 ? { imagePullSecrets: p.imagePullSecrets.map((s) => ({ name: s })) } : {}),
                ...(upload ? { initContainers: [backup], containers: [upload] } : { containers: [backup] }),
                volumes,
                ...(affinity ? { affinity } : {}),
              },
            },
          },
        },
      },
    });

    if (!p.serviceAccountName) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, BackupCronJobIds.ServiceAccount, {
        metadata: meta(name, 'ServiceAccount'),
        automountServiceAccountToken: false,
      });
    }

    const egress = [engineEgress(engine, ns), ...(s3 ? [s3Egress(s3, ns)] : [])].filter((r): r is k8s.NetworkPolicyEgressRule => r !== undefined);
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, BackupCronJobIds.NetworkPolicy, {
      metadata: meta(name, 'NetworkPolicy'),
      spec: {
        podSelector: { matchLabels: { ...selector } },
        // Nothing connects to a backup pod; it reaches the database and the storage only.
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress,
      },
    });

    this.rpoSeconds = longestInterval(p.schedule, p.timeZone);
    const timing = { longestIntervalSeconds: this.rpoSeconds, startingDeadlineSeconds: p.startingDeadlineSeconds, activeDeadlineSeconds: p.activeDeadlineSeconds };
    this.staleAfterSeconds = staleAfterSeconds(timing);
    this.alerts =
      p.alerting === false
        ? []
        : backupAlerts({ ...timing, namespace: ns, cronJobName: name, severity: p.alerting.severity, labels: p.alerting.labels });
    if (p.alerting !== false && p.alerting.prometheusRule) {
      this.alertRules = new AlertRules(this, BackupCronJobIds.Alerts, {
        name: `${name}-alerts`,
        namespace: ns,
        runbookBaseUrl: p.alerting.prometheusRule.runbookBaseUrl,
        release: p.alerting.prometheusRule.release,
        labels,
        defaultGroup: name,
      });
      this.addAlertsTo(this.alertRules);
    }
    // A backup nobody hears fail is the D-SKR-01 outcome: the alerts must go somewhere.
    this.node.addValidation({
      validate: () =>
        this.alerts.length > 0 && !this.alertsWired
          ? [
              `${this.node.path}: the alerts of BackupCronJob "${name}" go nowhere; call addAlertsTo(<ObservabilityStack or AlertRules>), set alerting.prometheusRule, or set alerting: false`,
            ]
          : [],
    });
  }

  /**
   * Adds the alerts to an {@link ObservabilityStack} or {@link AlertRules}
   * (anything with `addAlert`), in rule group `group`.
   * @param group - @default - the CronJob name
   */
  public addAlertsTo(sink: AlertSink, group: string = this.name): void {
    for (const a of this.alerts) sink.addAlert(a, group);
    this.alertsWired = true;
  }
}
