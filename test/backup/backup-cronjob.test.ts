import { describe, expect, it } from 'vitest';
import { AlertRules, BackupCronJob, defaultImage, type BackupCronJobProps } from '../../lib/index.js';
import { isTimeZone, longestInterval } from '../../lib/backup/schedule.js';
import { validateSchema } from '../../lib/validation/schema/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';
import { testRules } from '../observability/promtool.js';
import { BACKUP_EXTERNAL, container, cronPod, PG_BACKUP, synthBackup } from './fixtures.js';

const S3 = { bucket: 'skreaver-backups', prefix: 'db/', credentials: { secretName: 'skreaver-s3' } };

function error(props: Partial<BackupCronJobProps>): string {
  return errorOf(() => synthBackup({ ...PG_BACKUP, ...props } as BackupCronJobProps));
}

describe('BackupCronJob', () => {
  it('matches its snapshot', () => {
    expect(synthBackup({ ...PG_BACKUP, target: { volume: { claimName: 'skreaver-backup', create: { size: '50Gi' } }, s3: S3 } })).toMatchSnapshot();
  });

  it('emits a bounded CronJob in the given time zone that never runs two backups at once', () => {
    const cron = one(synthBackup(PG_BACKUP), 'CronJob');
    expect(cron.metadata).toMatchObject({ name: 'skreaver-db-backup', namespace: 'skreaver' });
    expect(cron.spec).toMatchObject({
      schedule: '0 2 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      suspend: false,
    });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 3600 });
    expect(cron.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(cronPod([cron]).restartPolicy).toBe('Never');
  });

  it('writes an explicit UTC time zone when none is given', () => {
    const { timeZone: _omit, ...rest } = PG_BACKUP;
    expect(one(synthBackup(rest as BackupCronJobProps), 'CronJob').spec.timeZone).toBe('Etc/UTC');
  });

  it('runs a pod that meets Pod Security restricted, with a read-only root and a scratch volume (D-SKR-02)', () => {
    const pod = cronPod(synthBackup(PG_BACKUP));
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = container(pod, 'backup');
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.image).toBe(defaultImage('postgres15'));
    expect(c.volumeMounts).toEqual([
      { name: 'scratch', mountPath: '/scratch' },
      { name: 'backup', mountPath: '/backup' },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'scratch', emptyDir: { sizeLimit: '512Mi' } },
      { name: 'backup', persistentVolumeClaim: { claimName: 'skreaver-backup' } },
    ]);
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '128Mi' },
      limits: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
    });
  });

  it('takes the password only from a Secret reference', () => {
    const env = container(cronPod(synthBackup(PG_BACKUP)), 'backup').env as Obj[];
    expect(env.find((e) => e.name === 'PGPASSWORD')).toEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'skreaver-db', key: 'password' } } });
    expect(env.filter((e) => e.value !== undefined).map((e) => e.name)).not.toContain('PGPASSWORD');
  });

  it('lets the pods reach only the database and the storage', () => {
    const objs = synthBackup({ ...PG_BACKUP, target: { volume: { claimName: 'skreaver-backup' }, s3: S3 } });
    const np = one(objs, 'NetworkPolicy');
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'skreaver-db-backup', 'app.kubernetes.io/instance': 'skreaver-db-backup' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
        {
          to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8'] } }],
          ports: [{ protocol: 'TCP', port: 443 }],
        },
      ],
    });
    expect(cronPod(objs).containers[0].name).toBe('upload');
    expect(cronPod(objs).initContainers[0].name).toBe('backup');
    expect(one(objs, 'CronJob').spec.jobTemplate.spec.template.metadata.annotations).toEqual({ 'cdk8s-agent-platform.dev/depends-on': 'skreaver/postgres:5432' });
  });

  it('creates the backup claim when asked (D-SKR-03)', () => {
    const pvc = one(synthBackup({ ...PG_BACKUP, target: { volume: { claimName: 'skreaver-backup', create: { size: '50Gi', storageClassName: 'standard' } } } }), 'PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe('skreaver-backup');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '50Gi' } } });
  });

  it('schedules a ReadWriteOnce files backup onto the node of the pod that mounts the volume', () => {
    const pod = cronPod(
      synthBackup({
        ...PG_BACKUP,
        name: 'audit-logs-backup',
        engine: { type: 'files', claimName: 'audit-logs', accessMode: 'ReadWriteOnce', colocateWith: { 'app.kubernetes.io/name': 'weaver-api' }, subPath: 'weaver' },
      }),
    );
    expect(pod.affinity).toEqual({
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'weaver-api' } }, topologyKey: 'kubernetes.io/hostname' }] },
    });
    expect(container(pod, 'backup').env).toContainEqual({ name: 'SOURCE_DIR', value: '/source/weaver' });
    expect(pod.securityContext.runAsUser).toBe(65534);
  });

  it('emits alert rules whose threshold follows the schedule and the deadlines', () => {
    const objs = synthBackup(PG_BACKUP);
    const rule = one(objs, 'PrometheusRule');
    expect(rule.metadata.name).toBe('skreaver-db-backup-alerts');
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(rule.spec.groups.map((g: Obj) => g.name)).toEqual(['skreaver-db-backup']);
    const [notRecent, failed] = rule.spec.groups[0].rules;
    // 24 h between runs + 1 h starting deadline + 1 h active deadline.
    expect(notRecent.expr).toBe(
      '(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{namespace="skreaver", cronjob="skreaver-db-backup"}) > 93600)' +
        ' or ((time() - max by (namespace, cronjob) (kube_cronjob_created{namespace="skreaver", cronjob="skreaver-db-backup"}) > 93600)' +
        ' unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{namespace="skreaver", cronjob="skreaver-db-backup"})',
    );
    expect(notRecent.labels).toEqual({ cronjob: 'skreaver-db-backup', severity: 'critical' });
    expect(notRecent.annotations.summary).toBe('No successful backup by skreaver/skreaver-db-backup for more than 26h');
    expect(notRecent.annotations.runbook_url).toBe('https://runbooks.example.com/backups/BackupNotRecent');
    expect(failed.alert).toBe('BackupJobFailed');
    expect(failed.expr).toContain('kube_job_status_failed{namespace="skreaver", job_name=~"skreaver-db-backup-[0-9]+"}');
    expect(validateSchema(objs, { kubernetesVersion: '1.28' })).toEqual([]);
  });

  it('fires BackupNotRecent when a success is overdue or never came, and BackupJobFailed for a failed run (promtool)', () => {
    const rule = one(synthBackup(PG_BACKUP), 'PrometheusRule');
    const [notRecent, failed] = rule.spec.groups[0].rules as Obj[];
    const sel = '{namespace="skreaver", cronjob="skreaver-db-backup"}';
    const staleLabels = { namespace: 'skreaver', cronjob: 'skreaver-db-backup', severity: 'critical' };
    const job = 'skreaver-db-backup-29000000';
    const r = testRules(rule.spec.groups, [
      {
        name: 'a success 6 h ago is not overdue',
        input_series: [{ series: `kube_cronjob_status_last_successful_time${sel}`, values: '0x1439 86400x600' }],
        alert_rule_test: [{ eval_time: '30h', alertname: 'BackupNotRecent', exp_alerts: [] }],
      },
      {
        name: 'no success for 27 h is overdue (the threshold is 26 h)',
        input_series: [{ series: `kube_cronjob_status_last_successful_time${sel}`, values: '0x1700' }],
        alert_rule_test: [
          { eval_time: '25h', alertname: 'BackupNotRecent', exp_alerts: [] },
          { eval_time: '27h', alertname: 'BackupNotRecent', exp_alerts: [{ exp_labels: staleLabels, exp_annotations: notRecent.annotations }] },
        ],
      },
      {
        name: 'a CronJob that never succeeded fires too',
        input_series: [{ series: `kube_cronjob_created${sel}`, values: '0x1700' }],
        alert_rule_test: [{ eval_time: '27h', alertname: 'BackupNotRecent', exp_alerts: [{ exp_labels: staleLabels, exp_annotations: notRecent.annotations }] }],
      },
      {
        name: 'a failed backup Job',
        input_series: [
          { series: `kube_job_status_failed{namespace="skreaver", job_name="${job}"}`, values: '0x10 1x100' },
          { series: `kube_job_status_start_time{namespace="skreaver", job_name="${job}"}`, values: '0x110' },
        ],
        alert_rule_test: [
          { eval_time: '5m', alertname: 'BackupJobFailed', exp_alerts: [] },
          {
            eval_time: '1h',
            alertname: 'BackupJobFailed',
            exp_alerts: [
              {
                exp_labels: { namespace: 'skreaver', job_name: job, cronjob: 'skreaver-db-backup', severity: 'warning' },
                exp_annotations: {
                  summary: `Backup Job ${job} of skreaver/skreaver-db-backup failed`,
                  description: `Read its logs: kubectl -n skreaver logs job/${job}. A failed run deletes no backup; a backup renamed to .corrupt needs a look.`,
                  runbook_url: failed.annotations.runbook_url,
                },
              },
            ],
          },
        ],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('hands its alerts to a rule set with addAlertsTo, and fails synth when they go nowhere', () => {
    let backup: BackupCronJob | undefined;
    const objs = synth(
      (chart) => {
        const rules = new AlertRules(chart, 'Rules', { name: 'platform-alerts', namespace: 'skreaver', runbookBaseUrl: 'https://runbooks.example.com/platform' });
        backup = new BackupCronJob(chart, 'Backup', { ...PG_BACKUP, alerting: { labels: { team: 'platform' } } });
        backup.addAlertsTo(rules);
      },
      { external: BACKUP_EXTERNAL },
    );
    expect(one(objs, 'PrometheusRule').metadata.name).toBe('platform-alerts');
    expect(one(objs, 'PrometheusRule').spec.groups[0].rules.map((r: Obj) => r.alert)).toEqual(['BackupNotRecent', 'BackupJobFailed']);
    expect(backup!.alerts[0]!.labels).toEqual({ team: 'platform', cronjob: 'skreaver-db-backup' });
    expect(backup!.rpoSeconds).toBe(86400);
    expect(backup!.staleAfterSeconds).toBe(93600);

    expect(errorOf(() => synthBackup({ ...PG_BACKUP, alerting: {} }))).toContain(
      'test/Backup: the alerts of BackupCronJob "skreaver-db-backup" go nowhere; call addAlertsTo(<ObservabilityStack or AlertRules>), set alerting.prometheusRule, or set alerting: false',
    );
    let off: BackupCronJob | undefined;
    const none = synth(
      (chart) => {
        off = new BackupCronJob(chart, 'Backup', { ...PG_BACKUP, alerting: false });
      },
      { external: BACKUP_EXTERNAL },
    );
    expect(off!.alerts).toEqual([]);
    expect(all(none, 'PrometheusRule')).toEqual([]);
  });

  it('passes strict schema validation for Kubernetes 1.28 and 1.31 with every engine and target', () => {
    const objs = [
      ...synthBackup({ ...PG_BACKUP, target: { volume: { claimName: 'skreaver-backup', create: { size: '10Gi' } }, s3: S3 } }),
      ...synthBackup({
        ...PG_BACKUP,
        name: 'redis-backup',
        engine: { type: 'redis', host: 'redis', password: { name: 'r', key: 'p' }, destination: { cidr: '10.1.0.0/16' } },
        target: { s3: { ...S3, endpoint: 'https://minio.storage.svc:9000', forcePathStyle: true, egress: { pods: { namespace: 'storage', podLabels: { app: 'minio' } }, ports: [{ port: 9000 }] } } },
      }),
    ];
    for (const v of ['1.28', '1.31'] as const) expect(validateSchema(objs, { kubernetesVersion: v })).toEqual([]);
  });

  it('accepts a retention that covers the schedule, and short ones outside production', () => {
    expect(one(synthBackup({ ...PG_BACKUP, profile: 'dev', retention: { days: 1 } }), 'CronJob').spec.schedule).toBe('0 2 * * *');
    expect(() => synthBackup({ ...PG_BACKUP, profile: 'staging', retention: { days: 2 }, timeZone: 'Europe/Berlin' })).not.toThrow();
    expect(() => synthBackup({ ...PG_BACKUP, schedule: '@weekly', retention: { days: 7 } })).not.toThrow();
    // Only the bucket's own retention applies when there is no volume.
    expect(() => synthBackup({ ...PG_BACKUP, retention: { days: 1 }, target: { s3: { ...S3, retention: { days: 14 } } } })).not.toThrow();
  });

  describe('rejects bad props by name', () => {
    const cases: [string, Partial<BackupCronJobProps>, string][] = [
      [
        'an invalid schedule',
        { schedule: '61 * * * *' },
        `test/Backup props.schedule: is not a valid schedule (constraint error, got value 61 expected range 0-59), got "61 * * * *"; write five fields 'minute hour day-of-month month day-of-week' like '0 2 * * *', and set timeZone separately`,
      ],
      [
        'a Redis CA without tls',
        { engine: { type: 'redis', host: 'redis', tlsCa: { name: 'redis-tls', key: 'ca.crt' }, destination: { cidr: '10.1.0.0/16' } } },
        `test/Backup props.engine.tlsCa: is given without tls, got {"name":"redis-tls","key":"ca.crt"}; set tls: true, or remove tlsCa`,
      ],
      [
        'a four-field schedule',
        { schedule: '0 2 * *' },
        `test/Backup props.schedule: has 4 fields, not 5, got "0 2 * *"; write five fields 'minute hour day-of-month month day-of-week' like '0 2 * * *', and set timeZone separately`,
      ],
      [
        'a schedule with a Quartz-only L',
        { schedule: '0 0 L * *' },
        `test/Backup props.schedule: has "L" in the day-of-month field, which Kubernetes does not accept, got "0 0 L * *"; write five fields 'minute hour day-of-month month day-of-week' like '0 2 * * *', and set timeZone separately`,
      ],
      [
        'a time zone inside the schedule',
        { schedule: 'TZ=Europe/Berlin 0 2 * * *' },
        `test/Backup props.schedule: sets a time zone inside the schedule, which Kubernetes rejects, got "TZ=Europe/Berlin 0 2 * * *"; write five fields 'minute hour day-of-month month day-of-week' like '0 2 * * *', and set timeZone separately`,
      ],
      [
        'an unknown time zone',
        { timeZone: 'Mars/Olympus' },
        `test/Backup props.timeZone: is not an IANA time zone, got "Mars/Olympus"; use a name from the tz database like 'Etc/UTC', 'Europe/Berlin' or 'America/New_York'`,
      ],
      ['retention days below 1', { retention: { days: 0 } }, 'test/Backup props.retention.days: must be at least 1, got 0; keep backups for at least one day'],
      [
        'retention minKeep below 1',
        { retention: { minKeep: 0 } },
        'test/Backup props.retention.minKeep: must be at least 1, got 0; keep at least the newest good backup, so retention can never delete it',
      ],
      [
        'an activeDeadlineSeconds of zero',
        { activeDeadlineSeconds: 0 },
        'test/Backup props.activeDeadlineSeconds: must be greater than 0, got 0; give the longest acceptable run in seconds, like 3600',
      ],
      [
        'a negative activeDeadlineSeconds',
        { activeDeadlineSeconds: -5 },
        'test/Backup props.activeDeadlineSeconds: must be greater than 0, got -5; give the longest acceptable run in seconds, like 3600',
      ],
      [
        'an S3 target with no bucket',
        { target: { s3: { credentials: { secretName: 'skreaver-s3' } } as never } },
        `test/Backup props.target.s3.bucket: is required, got undefined; name the bucket the backups go to, like 'acme-db-backups'`,
      ],
      [
        'no target',
        { target: {} },
        'test/Backup props.target: names no place for the backups, got {}; give target.volume (a PersistentVolumeClaim), target.s3 (object storage), or both',
      ],
      [
        'a PostgreSQL password and a .pgpass at once',
        { engine: { ...(PG_BACKUP.engine as object), passFile: { name: 'skreaver-pgpass', key: '.pgpass' } } as never },
        'test/Backup props.engine.password: is given together with passFile, got {"name":"skreaver-db","key":"password"}; give exactly one credential: password (PGPASSWORD from a Secret key) or passFile (a .pgpass Secret key)',
      ],
      [
        'a pg_dump older than the server',
        { engine: { ...(PG_BACKUP.engine as object), image: 'postgres:14.2-alpine', serverVersion: 16 } as never },
        `test/Backup props.engine.image: has pg_dump 14, older than serverVersion 16, which pg_dump refuses to dump (D-SKR-03), got "postgres:14.2-alpine"; use a client image of major 16 or newer, like 'postgres:16-alpine'`,
      ],
      [
        'a ReadWriteOncePod files volume',
        { engine: { type: 'files', claimName: 'audit-logs', accessMode: 'ReadWriteOncePod' } },
        'test/Backup props.engine.accessMode: is ReadWriteOncePod, which no second pod can mount while the application runs, got "ReadWriteOncePod"; use a ReadWriteMany volume, or back the volume up with CSI VolumeSnapshots instead of a file archive',
      ],
      [
        'a ReadWriteOnce files volume without colocateWith',
        { engine: { type: 'files', claimName: 'audit-logs', accessMode: 'ReadWriteOnce' } },
        'test/Backup props.engine.colocateWith: is missing for a ReadWriteOnce volume, which only pods on the node that has it attached can mount, got undefined; give the labels of the pod that mounts the volume, so the backup pod runs on its node, or use a ReadWriteMany volume',
      ],
      [
        'backing a volume up into itself',
        { engine: { type: 'files', claimName: 'skreaver-backup', accessMode: 'ReadWriteMany' } },
        'test/Backup props.target.volume.claimName: is the volume being backed up, got "skreaver-backup"; write the backups to another volume or to object storage',
      ],
      [
        'a name too long for its Jobs',
        { name: 'a'.repeat(53) },
        `test/Backup props.name: is longer than 52 characters, got "${'a'.repeat(53)}"; shorten it: Job names add 11 characters to the CronJob name and must stay within 63`,
      ],
      [
        'a scratch volume above the ephemeral-storage limit',
        { scratchSize: '2Gi' },
        'test/Backup props.scratchSize: is above the ephemeral-storage limit 1Gi, got "2Gi"; lower scratchSize or raise resources.limits.ephemeralStorage',
      ],
      [
        'a retention shorter than a weekly schedule',
        { schedule: '0 3 * * 0', retention: { days: 5 } },
        `test/Backup props.retention.days: is shorter than the longest interval between two runs of schedule '0 3 * * 0' in Etc/UTC (7 days), so a backup is deleted before the next run replaces it, got 5; keep backups at least 7 days, or run the backup more often`,
      ],
      [
        'the default retention with a monthly schedule',
        { schedule: '@monthly', retention: {} },
        `test/Backup props.retention.days: is shorter than the longest interval between two runs of schedule '@monthly' in Etc/UTC (31 days), so a backup is deleted before the next run replaces it, got 7; keep backups at least 31 days, or run the backup more often`,
      ],
      [
        'a one-day retention of a daily run in a zone with daylight saving',
        { profile: 'dev', timeZone: 'Europe/Berlin', retention: { days: 1 } },
        `test/Backup props.retention.days: is shorter than the longest interval between two runs of schedule '0 2 * * *' in Europe/Berlin (25 hours), so a backup is deleted before the next run replaces it, got 1; keep backups at least 2 days, or run the backup more often`,
      ],
      [
        'a retention below the production minimum',
        { retention: { days: 3 } },
        `test/Backup props.retention.days: is below the production minimum of 7 days, got 3; keep backups at least 7 days, or use profile 'staging' or 'dev'`,
      ],
      [
        'a bucket retention below the production minimum',
        { target: { volume: { claimName: 'skreaver-backup' }, s3: { ...S3, retention: { days: 2 } } } },
        `test/Backup props.target.s3.retention.days: is below the production minimum of 7 days, got 2; keep backups at least 7 days, or use profile 'staging' or 'dev'`,
      ],
      [
        'a mutable client image in production',
        { engine: { ...(PG_BACKUP.engine as object), image: 'postgres:latest' } as never },
        `test/Backup props.engine.image: is a mutable image (:latest) in the production profile, got "postgres:latest"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`,
      ],
    ];
    it.each(cases)('%s', (_what, props, message) => {
      expect(error(props)).toBe(`invalid props for test/Backup:\n  ${message}`);
    });
  });
});

describe('schedule helpers', () => {
  it('accepts IANA names that ICU knows, in their own capitalisation', () => {
    expect(['Etc/UTC', 'UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'].filter(isTimeZone)).toHaveLength(6);
    expect(['europe/berlin', 'Mars/Olympus', 'Local', '+01:00', ''].filter(isTimeZone)).toEqual([]);
  });

  it('finds the longest interval of a schedule, daylight-saving changes included', () => {
    expect(longestInterval('0 2 * * *', 'Etc/UTC')).toBe(86400);
    expect(longestInterval('0 2 * * *', 'Europe/Berlin')).toBe(90000);
    expect(longestInterval('0 2 * * MON-FRI', 'Etc/UTC')).toBe(3 * 86400);
    expect(longestInterval('*/15 * * * *', 'Etc/UTC')).toBe(900);
    expect(longestInterval('@weekly', 'Etc/UTC')).toBe(7 * 86400);
    expect(longestInterval('0 0 31 * *', 'Etc/UTC')).toBe(61 * 86400);
    expect(longestInterval('0 0 29 2 *', 'Etc/UTC')).toBe((366 + 365 * 3) * 86400);
    // An upper bound: the wall-clock gap plus the zone's daylight-saving shift.
    expect(longestInterval('*/15 * * * *', 'Europe/Berlin')).toBe(900 + 3600);
    expect(longestInterval('0 2 * * *', 'Australia/Lord_Howe')).toBe(86400 + 1800);
    expect(longestInterval('0 2 * * *', 'Asia/Tokyo')).toBe(86400);
  });
});
