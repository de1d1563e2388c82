import { BlockList } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import { API_ACCESS_LABEL, verify } from '../../lib/index.js';
import { reopenedRanges } from '../../lib/validation/policy/egress.js';
import { all, podSpecs, type Obj } from '../util.js';

// The egress baseline, asserted on every chart of the reference app: no pod
// reaches cloud metadata, no NetworkPolicy reopens a private, link-local or
// unique-local range wholesale (a declared destination inside one, like a
// database's subnet, is named, not reopened), only pods granted API access
// reach the API server, and no pod mounts a ServiceAccount token it does
// not need.

const app = buildApp(mkdtempSync(join(tmpdir(), 'egress-baseline-')));
const CHARTS = new Map(app.charts.map((c) => [c.node.id, c.toJson() as Obj[]]));
const METADATA: [string, 'ipv4' | 'ipv6'][] = [
  ['169.254.169.254', 'ipv4'],
  ['fd00:ec2::254', 'ipv6'],
];

/** Whether an ipBlock lets traffic reach `addr`. */
function reaches(ipBlock: Obj, addr: string, family: 'ipv4' | 'ipv6'): boolean {
  const [net, bits] = (ipBlock.cidr as string).split('/');
  const inside = (cidr: string) => {
    const [n, b] = cidr.split('/');
    const l = new BlockList();
    try {
      l.addSubnet(n!, Number(b), n!.includes(':') ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
    return (n!.includes(':') ? 'ipv6' : 'ipv4') === family && l.check(addr, family);
  };
  return inside(`${net}/${bits}`) && !((ipBlock.except ?? []) as string[]).some(inside);
}

describe.each([...CHARTS.keys()])('egress baseline of chart %s', (name) => {
  const objs = CHARTS.get(name)!;
  const policies = all(objs, 'NetworkPolicy');

  it('lets no pod reach cloud metadata (169.254.169.254, fd00:ec2::254)', () => {
    for (const p of policies) {
      for (const rule of p.spec.egress ?? []) {
        expect(rule.to?.length ?? 0, `${p.metadata.name}: an egress rule without peers reaches everything`).toBeGreaterThan(0);
        for (const peer of rule.to) {
          if (!peer.ipBlock) continue;
          for (const [addr, family] of METADATA) expect(reaches(peer.ipBlock, addr, family), `${p.metadata.namespace}/${p.metadata.name} ${peer.ipBlock.cidr} → ${addr}`).toBe(false);
        }
      }
    }
  });

  it('reopens no private, link-local or unique-local range, and has no NET-11 finding', () => {
    for (const p of policies) {
      for (const rule of p.spec.egress ?? []) {
        for (const peer of rule.to ?? []) if (peer.ipBlock) expect(reopenedRanges(peer.ipBlock.cidr, peer.ipBlock.except ?? []), `${p.metadata.name} ${peer.ipBlock.cidr}`).toEqual([]);
      }
    }
    expect(verify(objs).findings.filter((f) => f.checkId === 'NET-11')).toEqual([]);
  });

  it('opens the API server only to pods granted API access, and mounts a token only there', () => {
    for (const p of policies.filter((x) => x.metadata.name === 'allow-api-server')) {
      expect(p.spec.podSelector).toEqual({ matchLabels: { [API_ACCESS_LABEL]: 'true' } });
    }
    for (const { owner, spec } of podSpecs(objs)) {
      const workload = objs.find((o) => `${o.kind}/${o.metadata.name}` === owner)!;
      const template = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
      const apiAccess = template.metadata?.labels?.[API_ACCESS_LABEL] === 'true';
      const account = all(objs, 'ServiceAccount').find((sa) => sa.metadata.name === spec.serviceAccountName && sa.metadata.namespace === workload.metadata.namespace);
      const mounts = spec.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;
      if (!apiAccess) expect(mounts, `${owner} mounts a token without API access`).toBe(false);
    }
  });
});
