import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../lib/validation/invariants/index.js';
import { found, get, goodBundle, goodDeployment, manifests, type Found, type M } from './fixtures.js';

/** STO-01 to STO-03 and AVL-12: the data-store invariants (lib/validation/invariants/stores.ts). */

const SEEDS = join(import.meta.dirname, '..', 'fixtures', 'seed-yaml');
const seed = (dir: string, file: string): M[] =>
  parseAllDocuments(readFileSync(join(SEEDS, dir, file), 'utf8'))
    .map((d) => d.toJS() as M)
    .filter(Boolean);
const run = (b: M[], external: string[] = []) => checkInvariants(manifests(b), { external });
const messages = (fs: readonly Found[]) => fs.map((f) => `${f.checkId} ${f.kind}/${f.name} ${f.path}: ${f.message}`);

/** The good bundle plus a ConfigMap `conf` with `text`, mounted by the api container (memory limit as given). */
function withConfig(text: string, replicas = 3, memory = '1Gi'): M[] {
  const b = goodBundle();
  b.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf', namespace: 'agents' }, data: { 'redis.conf': text } });
  const d = get(b, 'Deployment', 'api');
  d.spec.replicas = replicas;
  d.spec.template.spec.volumes = [...(d.spec.template.spec.volumes ?? []), { name: 'conf', configMap: { name: 'conf' } }];
  const c = d.spec.template.spec.containers[0];
  c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'conf', mountPath: '/etc/redis' }];
  c.resources.limits.memory = memory;
  return b;
}

describe('STO-01: maxmemory in a mounted config within the memory limit', () => {
  it('passes at the limit, fails above it (Redis units: gb is 1024^3)', () => {
    expect(found(run(withConfig('maxmemory 1gb\n')), 'STO-01')).toEqual([]);
    expect(messages(found(run(withConfig('maxmemory 2gb\nmaxmemory-policy allkeys-lru\n')), 'STO-01'))).toEqual([
      'STO-01 Deployment/api spec.template.spec.containers[0].resources.limits.memory: container "api" reads maxmemory 2gb (2147483648 bytes) from ConfigMap "conf" key redis.conf, above its memory limit "1Gi", so the kernel kills it before it evicts',
    ]);
  });
});

describe('STO-02: Sentinel quorum within the Sentinels and a majority', () => {
  const conf = (q: number) => `sentinel monitor cache cache-0.cache-headless 6379 ${q}\n`;
  // Sentinels are counted at the workload's minimum: without the HPA of the good bundle, its static replicas.
  const noHpa = (b: M[]) => b.filter((o) => o.kind !== 'HorizontalPodAutoscaler');
  it('passes a majority of three, fails above the count and below a majority', () => {
    expect(found(run(noHpa(withConfig(conf(2)))), 'STO-02')).toEqual([]);
    expect(messages(found(run(noHpa(withConfig(conf(4)))), 'STO-02'))).toEqual([
      'STO-02 Deployment/api spec.replicas: container "api" reads a Sentinel quorum of 4 from ConfigMap "conf" key redis.conf, but Deployment "api" runs 3 Sentinels, so no failover can ever start',
    ]);
    expect(messages(found(run(noHpa(withConfig(conf(2), 5))), 'STO-02'))[0]).toContain('a minority of them could start a failover');
  });
});

describe('STO-03: the connection budget (D-SRK-09)', () => {
  /** The SARK numbers: an app at HPA max 20 with 4 workers × (20 + 10) connections, PostgreSQL max_connections 100. */
  function sark(perPod: number, viaPgBouncer = false): M[] {
    const b = goodBundle();
    const db = goodDeployment('db');
    db.spec.template.metadata.annotations = { 'cdk8s-agent-platform.dev/connection-limit': '97' };
    b.push(db);
    get(b, 'Deployment', 'api').spec.template.metadata.annotations = {
      ...get(b, 'Deployment', 'api').spec.template.metadata.annotations,
      'cdk8s-agent-platform.dev/connections': `agents/${viaPgBouncer ? 'pgbouncer' : 'db'}=${perPod}`,
    };
    get(b, 'HorizontalPodAutoscaler', 'api').spec.maxReplicas = 20;
    if (viaPgBouncer) {
      const pool = goodDeployment('pgbouncer');
      pool.spec.replicas = 2;
      pool.spec.template.metadata.annotations = { 'cdk8s-agent-platform.dev/connection-limit': '2000', 'cdk8s-agent-platform.dev/connections': 'agents/db=100' };
      b.push(pool);
    }
    return b;
  }
  it('the guide\'s arithmetic fails: 20 pods × 120 connections against 97', () => {
    expect(messages(found(run(sark(120)), 'STO-03'))).toEqual([
      'STO-03 Deployment/api spec.template.metadata.annotations["cdk8s-agent-platform.dev/connections"]: the clients of agents/db may open 2400 connections (Deployment "api" 20 × 120) and Deployment "db" accepts 97, so connections fail at peak',
    ]);
  });
  it('PgBouncer in front: the clients fit its limit, but two PgBouncers × max_db_connections 100 do not fit PostgreSQL', () => {
    const fs = messages(found(run(sark(100, true)), 'STO-03'));
    expect(fs).toEqual([
      'STO-03 Deployment/pgbouncer spec.template.metadata.annotations["cdk8s-agent-platform.dev/connections"]: the clients of agents/db may open 200 connections (Deployment "pgbouncer" 2 × 100) and Deployment "db" accepts 97, so connections fail at peak',
    ]);
  });
  it('passes a budget that fits', () => {
    expect(found(run(sark(4)), 'STO-03')).toEqual([]);
  });
});

describe('AVL-12: an HPA on custom or external metrics needs an adapter (D-SRK-07)', () => {
  const hpa = () => seed('004_25c5136919ac48a3', '22-horizontalpodautoscaler-sark-hpa.yaml');
  it('the SARK seed HPA (a Pods metric, no adapter) is reported', () => {
    expect(messages(found(run(hpa()), 'AVL-12'))).toEqual([
      'AVL-12 HorizontalPodAutoscaler/sark-hpa spec.metrics[2]: HorizontalPodAutoscaler scales on a Pods metric, and no APIService v1beta1.custom.metrics.k8s.io serves it (no metrics adapter in the bundle), so it never scales on it and never scales down',
    ]);
  });
  it('passes with the adapter\'s APIService in the bundle or declared external', () => {
    const api = { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.custom.metrics.k8s.io' }, spec: {} };
    expect(found(run([...hpa(), api]), 'AVL-12')).toEqual([]);
    expect(found(run(hpa(), ['APIService/v1beta1.custom.metrics.k8s.io']), 'AVL-12')).toEqual([]);
  });
});
