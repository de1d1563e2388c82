import { describe, expect, it } from 'vitest';
import { AgentNamespace, MIGRATION_TTL_WAIVER_REASON, MigrationJob, verify, type MigrationJobProps } from '../../lib/index.js';
import { validateSchema } from '../../lib/validation/schema/index.js';
import { errorOf, one, synth } from '../util.js';

const TALOS: MigrationJobProps = {
  name: 'gateway-migrations',
  namespace: 'talos-system',
  image: 'ghcr.io/talosprotocol/talos-gateway:3f2a9c1',
  version: 'v1',
  command: ['alembic', 'upgrade', 'head'],
  env: { DATABASE_URL: { fromSecret: { name: 'talos-secrets', key: 'database-url' } } },
  securityContext: { runAsUser: 1001 },
  egress: [{ description: 'PostgreSQL', pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } }, ports: [{ port: 5432 }] }],
  partOf: 'talos',
};

/** The database Secret comes from outside the bundle (an ExternalSecret of the app's chart). */
const EXTERNAL = ['Secret/talos-system/talos-secrets'];

function build(props: Partial<MigrationJobProps> = {}) {
  return synth((chart) => new MigrationJob(chart, 'Migrations', { ...TALOS, ...props } as MigrationJobProps), { external: EXTERNAL });
}

function job(props: Partial<MigrationJobProps> = {}) {
  return one(build(props), 'Job');
}

describe('MigrationJob', () => {
  it('matches its snapshot', () => {
    expect(build()).toMatchSnapshot();
  });

  it('names the Job after the version, from the prop, the image tag or the digest', () => {
    expect(job().metadata.name).toBe('gateway-migrations-v1');
    expect(job({ version: '2025.01.1+build_7' }).metadata.name).toBe('gateway-migrations-2025-01-1-build-7');
    expect(job({ version: undefined }).metadata.name).toBe('gateway-migrations-3f2a9c1');
    const digest = `sha256:${'ab12'.repeat(16)}`;
    expect(job({ version: undefined, image: `ghcr.io/talosprotocol/talos-gateway@${digest}` }).metadata.name).toBe('gateway-migrations-ab12ab12ab12');
    expect(job().metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'gateway-migrations', 'app.kubernetes.io/instance': 'gateway-migrations-v1', 'app.kubernetes.io/version': 'v1', 'app.kubernetes.io/component': 'migration' });
  });

  it('keeps the finished Job (no ttlSecondsAfterFinished) and records why as a WKL-04 waiver', () => {
    const j = job();
    expect(j.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(j.metadata.annotations).toEqual({ 'waivers.cdk8s-agent-platform.dev/WKL-04': MIGRATION_TTL_WAIVER_REASON });
    expect(j.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 900 });
    const withTtl = job({ ttlSecondsAfterFinished: 3600 });
    expect(withTtl.spec.ttlSecondsAfterFinished).toBe(3600);
    expect(withTtl.metadata.annotations).toBeUndefined();
  });

  it('runs a restricted pod with a scratch volume and reaches only what it declares', () => {
    const objs = build();
    const pod = one(objs, 'Job').spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'scratch', mountPath: '/tmp' }]);
    expect(pod.containers[0].env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'talos-secrets', key: 'database-url' } } }]);
    expect(one(objs, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway-migrations', 'app.kubernetes.io/instance': 'gateway-migrations-v1' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    expect(one(objs, 'ServiceAccount').metadata.name).toBe('gateway-migrations');
    for (const v of ['1.28', '1.31'] as const) expect(validateSchema(objs, { kubernetesVersion: v })).toEqual([]);
  });

  it('passes the full verification in a namespace, with only the TTL finding waived', () => {
    const objs = synth(
      (chart) => {
        new AgentNamespace(chart, 'Ns', { name: 'talos-system' });
        new MigrationJob(chart, 'Migrations', { ...TALOS, egress: [] });
      },
      { external: EXTERNAL },
    );
    const report = verify(objs, { external: EXTERNAL });
    expect(report.blocking).toEqual([]);
    expect(report.waived.map((f) => `${f.checkId} ${f.path}`)).toEqual(['WKL-04 spec.ttlSecondsAfterFinished']);
  });

  it.each([
    [
      'an activeDeadlineSeconds of zero',
      { activeDeadlineSeconds: 0 },
      'test/Migrations props.activeDeadlineSeconds: must be greater than 0, got 0; give the longest acceptable run in seconds, like 900',
    ],
    [
      'no version and a :latest image',
      { version: undefined, image: 'ghcr.io/talosprotocol/talos-gateway:latest', profile: 'dev' as const },
      "test/Migrations props.version: is missing and the image names no version, got undefined; give version, like 'v1', or pin the image by tag or digest",
    ],
    [
      'a version that makes the name too long',
      { version: 'x'.repeat(50) },
      `test/Migrations props.version: makes the Job name gateway-migrations-${'x'.repeat(50)} longer than 63 characters, got "${'x'.repeat(50)}"; shorten name or version`,
    ],
    ['a version without letters or digits', { version: '...' }, `test/Migrations props.version: has no letter or digit to name the Job with, got "..."; use a version like 'v1' or '2025.01.1'`],
    ['root', { securityContext: { runAsUser: 0 } }, 'test/Migrations props.securityContext.runAsUser: must not be root (0), got 0; use a non-zero UID, 10000 or above preferred'],
  ])('rejects %s', (_what, props, message) => {
    expect(errorOf(() => job(props as Partial<MigrationJobProps>))).toBe(`invalid props for test/Migrations:\n  ${message}`);
  });
});
