import { Construct } from 'constructs';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  createCronJob,
  createNetworkPolicy,
  createPersistentVolumeClaim,
  createServiceAccount,
  devProfileWaivers,
  parseConstructProps,
  setPrimary,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import { AlertRules, type AlertOptions } from '../observability/alert-rules.js';
import { resolveResources } from '../workload/container.js';
import { backupAlerts, staleAfterSeconds, type AlertSink } from './alerts.js';
import { BackupCronJobPropsSchema, type BackupCronJobConfig, type BackupCronJobProps } from './backup-cronjob-props.js';
import { backupExtension, engineImage } from './engines.js';
import {
  backupVolume,
  commonEnv,
  dependsOn,
  engineEnv,
  jobEgress,
  jobPodSpec,
  passFileVolume,
  redisCaVolume,
  PATHS,
  retentionEnv,
  s3Env,
  scratch,
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

// D-SKR-01, D-SKR-02, D-SKR-03
/**
 * A scheduled backup that cannot pass for a success when it failed, and
 * whose retention cannot delete the last good backup:
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
 *   read-only root filesystem and a scratch emptyDir;
 * - the CronJob has an explicit time zone, `concurrencyPolicy: Forbid`, a
 *   starting deadline, a backoff limit, an active deadline and resources,
 *   and the backups go to a claim it can create and/or to object storage;
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
  /** The CronJob (the default child). */
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
    const p = parseConstructProps(this, BackupCronJobPropsSchema, props);
    const { name, namespace: ns, engine } = p;
    [this.name, this.namespace, this.filePrefix, this.fileExtension] = [name, ns, p.filePrefix ?? name, backupExtension(engine)];
    const w = workloadIdentity(this, { namespace: ns, name, image: engineImage(engine), component: 'backup', partOf: p.partOf, labels: p.labels });
    this.selectorLabels = w.selector;
    const volume = p.target.volume;
    if (volume?.create) this.persistentVolumeClaim = createPersistentVolumeClaim(this, BackupCronJobIds.Pvc, w, { name: volume.claimName, ...volume.create });
    const images = [engineImage(engine), ...(p.target.s3 ? [p.target.s3.image] : [])];
    this.cronJob = setPrimary(this, createCronJob(this, BackupCronJobIds.CronJob, w, p, {
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      podSpec: backupPodSpec(p, this.filePrefix),
      podAnnotations: dependsOn(engine, ns),
      annotations: devProfileWaivers(p.profile, { mutableImage: anyMutableImage(images) }),
    }));
    if (!p.serviceAccountName) this.serviceAccount = createServiceAccount(this, BackupCronJobIds.ServiceAccount, w);
    // Nothing connects to a backup pod; it reaches the database and the storage only.
    this.networkPolicy = createNetworkPolicy(this, BackupCronJobIds.NetworkPolicy, w, { ingress: [], egress: jobEgress(engine, p.target.s3, ns) });

    this.rpoSeconds = longestInterval(p.schedule, p.timeZone);
    const timing = { longestIntervalSeconds: this.rpoSeconds, startingDeadlineSeconds: p.startingDeadlineSeconds, activeDeadlineSeconds: p.activeDeadlineSeconds };
    this.staleAfterSeconds = staleAfterSeconds(timing);
    const alerting = p.alerting;
    this.alerts = alerting === false ? [] : backupAlerts({ ...timing, namespace: ns, cronJobName: name, severity: alerting.severity, labels: alerting.labels });
    if (alerting !== false && alerting.prometheusRule) this.alertRules = this.createAlertRules(w, alerting.prometheusRule);
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

  private createAlertRules(w: WorkloadIdentity, rule: { runbookBaseUrl: string; release: string | false }): AlertRules {
    const rules = new AlertRules(this, BackupCronJobIds.Alerts, {
      name: `${this.name}-alerts`,
      namespace: this.namespace,
      runbookBaseUrl: rule.runbookBaseUrl,
      release: rule.release,
      labels: w.labels,
      defaultGroup: this.name,
    });
    this.addAlertsTo(rules);
    return rules;
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

/**
 * The backup pod: the backup container, and with object storage an upload
 * container after it (the backup then runs as an init container, so an
 * upload never starts after a failed backup). Volumes: scratch (HOME, the
 * hand-over), the backups, the source of a files backup, a .pgpass Secret.
 */
function backupPodSpec(p: BackupCronJobConfig, filePrefix: string): k8s.PodSpec {
  const { engine, target } = p;
  const parts = [scratch(p.scratchSize), backupVolume(target.volume?.claimName, p.scratchSize, false)];
  const uploadMounts = parts.map((x) => x.mount);
  if (engine.type === 'files') {
    parts.push({ volume: { name: 'source', persistentVolumeClaim: { claimName: engine.claimName, readOnly: true } }, mount: { name: 'source', mountPath: PATHS.source, readOnly: true } });
  }
  const pgpass = passFileVolume(engine);
  if (pgpass) parts.push(pgpass);
  const redisCa = redisCaVolume(engine);
  if (redisCa) parts.push(redisCa);
  const resources = resolveResources(p.resources);
  const backup = scriptContainer({
    name: 'backup',
    image: engineImage(engine),
    script: backupScript(engine),
    env: [...commonEnv(filePrefix, engine, PATHS.backup), ...retentionEnv(p.retention), { name: 'BACKUP_DEADLINE_SECONDS', value: String(p.activeDeadlineSeconds) }, ...engineEnv(engine, p.name)],
    mounts: parts.map((x) => x.mount),
    resources,
  });
  const s3 = target.s3;
  const upload = s3
    ? scriptContainer({ name: 'upload', image: s3.image, script: uploadScript(), env: [...commonEnv(filePrefix, engine, PATHS.backup), ...retentionEnv(s3.retention ?? p.retention), ...s3Env(s3)], mounts: uploadMounts, resources })
    : undefined;
  // A ReadWriteOnce volume is attached to one node; only pods there can mount it.
  const affinity: k8s.Affinity | undefined =
    engine.type === 'files' && engine.colocateWith
      ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...engine.colocateWith } }, topologyKey: 'kubernetes.io/hostname' }] } }
      : undefined;
  const volumes = parts.map((x) => x.volume);
  return jobPodSpec(p, upload ? { initContainers: [backup], containers: [upload], volumes, affinity } : { containers: [backup], volumes, affinity });
}
