import type { z } from 'zod';
import { NON_PUBLIC_IPV4, type egressRuleSchema } from '../network/peers.js';

// The verification's check is NET-09.
/**
 * What no agent reaches unless it declares it: cloud metadata endpoints,
 * link-local, private (RFC 1918), CGNAT, loopback and IPv6 unique-local
 * ranges. Public egress ({@link publicEgress}) always excepts them, and the
 * verification reports a policy that reopens them.
 */
export const EGRESS_BASELINE = {
  /** IPv4 ranges excepted from `0.0.0.0/0`: RFC 1918, link-local (AWS/GCP/Azure metadata 169.254.169.254), CGNAT, loopback. */
  ipv4: NON_PUBLIC_IPV4,
  /** IPv6 ranges excepted from `::/0`: unique-local (fc00::/7, with AWS's metadata fd00:ec2::254), link-local, loopback, IPv4-mapped. */
  ipv6: ['fc00::/7', 'fe80::/10', '::1/128', '::ffff:0:0/96'],
  /** Cloud metadata addresses, named for the record (both fall in the ranges above). */
  metadata: ['169.254.169.254/32', 'fd00:ec2::254/128'],
} as const;

/**
 * Egress to public addresses only, IPv4 and IPv6, on TCP `ports`: `0.0.0.0/0`
 * and `::/0`, each except the {@link EGRESS_BASELINE} ranges.
 */
export function publicEgress(ports: readonly number[], description: string): z.input<typeof egressRuleSchema>[] {
  const p = ports.map((port) => ({ port }));
  return [
    { description: `${description} (IPv4)`, cidr: '0.0.0.0/0', except: [...EGRESS_BASELINE.ipv4], ports: p },
    { description: `${description} (IPv6)`, cidr: '::/0', except: [...EGRESS_BASELINE.ipv6], ports: p },
  ];
}
