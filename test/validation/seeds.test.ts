import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../lib/validation/invariants/index.js';
import { checkPolicies } from '../../lib/validation/policy/index.js';
import type { Finding, Severity } from '../../lib/validation/types.js';
import { loadSeed, seedStems } from './seed-loader.js';

/**
 * The seeds' own manifests (test/fixtures/seed-yaml, copied from the project
 * spec with their provenance comments) run through the policy and invariant
 * layers: every defect DEFECTS.md ranks that a manifest check can see is
 * found on the right object under the right check ID, and the totals per
 * seed are pinned.
 */

const VERSION = '1.28';
const SEEDS = new Map(seedStems().map((stem) => [stem, loadSeed(stem)]));
const SKREAVER = '000_0cf490c0ec8e90c5';
const TALOS = '001_f887dc2232ad6f9a';
const BSS = '002_448dce060d74ed9e';
const WEAVER = '003_308e2d0d1bf5ce29';
const SARK = '004_25c5136919ac48a3';

const FINDINGS = new Map<string, Finding[]>(
  [...SEEDS].map(([stem, s]) => [stem, [...checkPolicies(s.manifests, { kubernetesVersion: VERSION }), ...checkInvariants(s.manifests, {})]]),
);

/** Check IDs reported on one object of a seed. */
function idsOn(stem: string, kind: string, name: string): string[] {
  return (FINDINGS.get(stem) ?? []).filter((f) => f.kind === kind && f.name === name).map((f) => f.checkId);
}

/** Findings per severity, in a fixed order. */
function totals(findings: readonly Finding[]): Record<Severity | 'total', number> {
  const out: Record<Severity | 'total', number> = { Critical: 0, High: 0, Medium: 0, Low: 0, total: findings.length };
  for (const f of findings) out[f.severity]++;
  return out;
}

describe('seed manifests', () => {
  it('loads every whole object, embedded heredocs included, and no fragment', () => {
    expect(Object.fromEntries([...SEEDS].map(([stem, s]) => [stem, s.manifests.length]))).toEqual({
      [SKREAVER]: 21,
      // Three files plus the Jaeger heredoc.
      [TALOS]: 4,
      [BSS]: 2,
      [WEAVER]: 9,
      // The embedded volumes snippet has no kind and is skipped.
      [SARK]: 12,
    });
    expect([...SEEDS.values()].flatMap((s) => s.files).filter((f) => f.startsWith('fragments'))).toEqual([]);
  });

  it('keeps the provenance comment on every copied file', () => {
    for (const s of SEEDS.values()) {
      for (const file of new Set(s.files)) {
        const first = readFileSync(new URL(`../fixtures/seed-yaml/${s.stem}/${file}`, import.meta.url), 'utf8').split('\n')[0];
        expect(first, `${s.stem}/${file}`).toMatch(/^# source: seeds\/\d{3}_[0-9a-f]{16}\.txt /);
      }
    }
  });

  describe('finds the ranked defects', () => {
    it('D-SKR-01: the backup pipeline runs without pipefail (WKL-07)', () => {
      const f = FINDINGS.get(SKREAVER)!.find((x) => x.checkId === 'WKL-07');
      expect(f).toMatchObject({
        severity: 'High',
        kind: 'CronJob',
        namespace: 'skreaver',
        name: 'skreaver-db-backup',
        path: 'spec.jobTemplate.spec.template.spec.containers[0].command[2]',
      });
    });

    it('D-SKR-02: the backup pod fails Pod Security restricted', () => {
      expect(idsOn(SKREAVER, 'CronJob', 'skreaver-db-backup')).toEqual(expect.arrayContaining(['PSS-13', 'PSS-14', 'PSS-16', 'PSS-17']));
    });

    it('D-SKR-04: the NetworkPolicy ORs its peers and blocks DNS (NET-03, NET-02)', () => {
      const ids = idsOn(SKREAVER, 'NetworkPolicy', 'skreaver-http-netpol');
      expect(ids).toEqual(expect.arrayContaining(['NET-03', 'NET-02']));
      expect(FINDINGS.get(SKREAVER)!.filter((f) => f.name === 'skreaver-http-netpol' && f.checkId === 'NET-03' && f.message.includes('are ORed')).map((f) => f.path)).toEqual([
        'spec.ingress[0].from',
        'spec.ingress[1].from',
        'spec.egress[0].to',
      ]);
    });

    it('D-SKR-05: the quota cannot admit HPA max (RES-04 on the quota, the HPA and the LimitRange)', () => {
      expect(idsOn(SKREAVER, 'ResourceQuota', 'skreaver-quota')).toEqual(['RES-04', 'RES-04']);
      expect(idsOn(SKREAVER, 'HorizontalPodAutoscaler', 'skreaver-http')).toEqual(['RES-04']);
      expect(idsOn(SKREAVER, 'LimitRange', 'skreaver-limits')).toEqual(['RES-04']);
    });

    it('D-SKR-08: one ReadWriteOnce PVC under 3-10 replicas (AVL-10)', () => {
      expect(idsOn(SKREAVER, 'Deployment', 'skreaver-http').filter((id) => id === 'AVL-10')).toHaveLength(2);
    });

    it('D-SKR-14: the Namespace is defined twice (PSS-18)', () => {
      expect(FINDINGS.get(SKREAVER)!.filter((f) => f.kind === 'Namespace' && f.path === 'metadata.name').map((f) => f.checkId)).toEqual(['PSS-18', 'NET-02']);
    });

    it('D-WVR-01: weaver-api has no securityContext', () => {
      expect(idsOn(WEAVER, 'Deployment', 'weaver-api')).toEqual(expect.arrayContaining(['PSS-13', 'PSS-14', 'PSS-16', 'PSS-17', 'SEC-01']));
    });

    it('D-WVR-05: Secrets in plain YAML (SEC-08)', () => {
      expect(idsOn(WEAVER, 'Secret', 'weaver-secrets')).toEqual(['SEC-08']);
      expect(idsOn(WEAVER, 'Secret', 'telemetry-signing-keys')).toEqual(['SEC-08']);
    });

    it('D-SRK-01: the pgbouncer selector matches no pod template (WKL-01)', () => {
      expect(idsOn(SARK, 'Deployment', 'pgbouncer')).toEqual(expect.arrayContaining(['WKL-01', 'IMG-01', 'NS-01']));
    });

    it('D-BSS-01: egress without DNS (NET-02)', () => {
      expect(idsOn(BSS, 'NetworkPolicy', 'bss-oss-network-policy')).toEqual(expect.arrayContaining(['NET-02']));
    });

    it('D-SRK-07: the HPA scales on a Pods metric and no adapter serves it (AVL-12)', () => {
      expect(idsOn(SARK, 'HorizontalPodAutoscaler', 'sark-hpa')).toContain('AVL-12');
    });

    it('and the rest the manifests show: D-WVR-03, D-SRK-04, D-SRK-13, D-TAL-05', () => {
      expect(idsOn(WEAVER, 'StatefulSet', 'redis')).toContain('WKL-02');
      expect(idsOn(SARK, 'Deployment', 'redis')).toContain('RES-02');
      expect(idsOn(SARK, 'Ingress', 'sark-ui')).toEqual(expect.arrayContaining(['NET-06', 'NET-07']));
      expect(idsOn(TALOS, 'HorizontalPodAutoscaler', 'talos-gateway')).toEqual(['NS-01', 'AVL-08']);
    });
  });

  it('pins the totals per seed and severity', () => {
    const actual = Object.fromEntries([...FINDINGS].map(([stem, f]) => [stem, totals(f)]));
    console.log(
      ['seed                  Critical High Medium Low total', ...Object.entries(actual).map(([stem, t]) => `${stem}  ${[t.Critical, t.High, t.Medium, t.Low, t.total].map((n) => String(n).padStart(5)).join(' ')}`)].join('\n'),
    );
    // Reviewed finding by finding. A changed count must be explained in the
    // commit that changes it: a new check, a fixed false positive, or a
    // changed seed.
    expect(actual).toEqual({
      [SKREAVER]: { Critical: 2, High: 42, Medium: 16, Low: 4, total: 64 },
      [TALOS]: { Critical: 0, High: 4, Medium: 3, Low: 0, total: 7 },
      [BSS]: { Critical: 0, High: 9, Medium: 0, Low: 0, total: 9 },
      [WEAVER]: { Critical: 6, High: 27, Medium: 18, Low: 4, total: 55 },
      // SARK +1 High: AVL-12 on sark-hpa, a Pods metric without a metrics adapter (D-SRK-07).
      [SARK]: { Critical: 7, High: 46, Medium: 27, Low: 5, total: 85 },
    });
  });

  // The schema layer belongs to another module; when it is in place, the
  // full verify must still carry every policy and invariant finding.
  const schemaReady = (() => {
    const url = new URL('../../lib/validation/schema/index.ts', import.meta.url);
    return existsSync(url) && !readFileSync(url, 'utf8').includes('TEMPORARY placeholder');
  })();

  it.runIf(schemaReady)('keeps every policy and invariant finding in the full verify', async () => {
    const { verify } = await import('../../lib/validation/verify.js');
    for (const [stem, s] of SEEDS) {
      const report = verify(s.manifests, { kubernetesVersion: VERSION });
      const key = (f: Finding) => `${f.checkId} ${f.kind} ${f.namespace ?? ''} ${f.name} ${f.path} ${f.message}`;
      const all = new Set(report.findings.map(key));
      expect(FINDINGS.get(stem)!.filter((f) => !all.has(key(f))).map(key), stem).toEqual([]);
      expect(report.blocking.length, stem).toBeGreaterThan(0);
    }
  });
});
