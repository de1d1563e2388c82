import { isIP } from 'node:net';
import { z } from 'zod';
import { portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';

/**
 * Domain names an agent may reach, as written in an allow-list:
 *
 * - `api.example.com`: that name only;
 * - `*.example.com`: a name one label below `example.com` (`eu.example.com`),
 *   never `example.com` itself nor `a.eu.example.com`;
 * - `**.example.com`: any name below `example.com`, at any depth, never
 *   `example.com` itself.
 *
 * The enforcement points disagree on what `*.` means (Cilium: one label;
 * Istio: any depth; the GKE FQDN controller: no wildcards at all), so the
 * list is checked against the chosen one ({@link checkDomainsForEnforcement})
 * and rendered only where the meaning is kept.
 */
export type DomainPattern =
  | { readonly kind: 'exact'; readonly name: string }
  | { readonly kind: 'oneLabel'; readonly base: string }
  | { readonly kind: 'anyDepth'; readonly base: string };

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Whether `text` can be an address `isIP` accepts: an IPv4 address has only
 * digits and dots, an IPv6 address has a colon. A name has neither, and then
 * `isIP` is not called: its first IPv6 test compiles Node's IPv6 pattern,
 * about 10 ms of every synth for the names alone.
 */
function mayBeIp(text: string): boolean {
  return text.includes(':') || /^[\d.]+$/.test(text);
}

/** Why `text` is not a domain pattern, with the fix, or undefined when it is one. */
function domainProblem(text: string): [what: string, fix: string] | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.includes('/')) {
    return ['is a URL, not a domain name', "give the bare name, like 'api.example.com' (the scheme and path are not part of egress)"];
  }
  const bare = text.replace(/^\[|\]$/g, '');
  if (mayBeIp(bare) && (isIP(bare) !== 0 || isIP(text.replace(/:\d+$/, '')) === 4)) {
    return ['is an IP address, not a domain name', "list addresses as a CIDR egress rule (egress: [{ cidr: '203.0.113.7/32', ports }]), names here"];
  }
  if (/:\d*$/.test(text)) return ['carries a port', "give the bare name and put the port in 'ports'"];
  if (text !== text.toLowerCase()) return ['is not lowercase', `write it as '${text.toLowerCase()}'`];
  if (text.endsWith('.')) return ['ends with a dot', `write it without the trailing dot, '${text.slice(0, -1)}'`];
  const base = text.replace(/^\*\*?\./, '');
  const labels = base.split('.');
  if (base.includes('*')) return ["has a '*' that is not the whole first label", "use '*.example.com' (one level) or '**.example.com' (any depth)"];
  if (text.length > 253) return ['is longer than 253 characters', 'a DNS name has at most 253 characters'];
  if (!labels.every((l) => LABEL.test(l))) return ['is not a DNS name', "use labels of lowercase letters, digits and '-' (not first or last), at most 63 characters each, like 'api.example.com'"];
  if (labels.length < 2) {
    return base === text ? ['is not a fully qualified name', "give the full name, like 'api.example.com'"] : ['matches a whole top-level domain', "narrow it to a registered domain, like '*.example.com'"];
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return ['is not a DNS name (its last label is numeric)', "give a name, like 'api.example.com'"];
  return undefined;
}

/** Parses a domain pattern (already checked by {@link domainPattern}). */
export function parseDomain(text: string): DomainPattern {
  if (text.startsWith('**.')) return { kind: 'anyDepth', base: text.slice(3) };
  if (text.startsWith('*.')) return { kind: 'oneLabel', base: text.slice(2) };
  return { kind: 'exact', name: text };
}

/** A domain pattern: `name`, `*.name` (one level below) or `**.name` (any depth below). */
export const domainPattern = z.string().superRefine((text, ctx) => {
  const p = domainProblem(text);
  if (p) ctx.addIssue({ code: 'custom', message: problem(p[0], p[1]) });
});

/** Domains and the TCP ports they may be reached on. */
export const domainEgressRuleSchema = z.strictObject({
  /** Domain patterns (see {@link DomainPattern}). */
  domains: z.array(domainPattern).min(1, { error: problem('is empty', "list at least one domain, like 'api.example.com'") }),
  /** TCP ports, e.g. [443]. */
  ports: z.array(portNumber).min(1, { error: problem('is empty', 'list at least one port, like [443]') }),
});

/** See {@link domainEgressRuleSchema}. */
export type DomainEgressRule = z.output<typeof domainEgressRuleSchema>;

/** The enforcement points a domain allow-list can be rendered for. */
export type DomainEnforcementKind = 'cilium' | 'istio' | 'gke' | 'proxy' | 'networkPolicy';

/**
 * Why a pattern cannot be enforced with its meaning on `kind`, with the fix;
 * undefined when it can.
 */
export function domainUnsupported(kind: DomainEnforcementKind, pattern: DomainPattern): [what: string, fix: string] | undefined {
  if (pattern.kind === 'exact') return undefined;
  const base = pattern.base;
  switch (kind) {
    case 'cilium':
      return pattern.kind === 'anyDepth'
        ? [`cannot be enforced by Cilium 1.18, whose toFQDNs '*' stays within one label`, `use '*.${base}' for one level, list the deeper names, or enforce through the egress proxy`]
        : undefined;
    case 'istio':
      return pattern.kind === 'oneLabel'
        ? [`would admit every depth under ${base} on Istio, whose '*.' host matches any subdomain`, `write '**.${base}' to accept any depth, or list the names`]
        : undefined;
    case 'gke':
      return [`is a wildcard, and the GKE FQDNNetworkPolicy controller resolves names, so it cannot follow wildcards`, `list the names (e.g. 'api.${base}'), or enforce through Cilium or the egress proxy`];
    default:
      return undefined;
  }
}

/** Adds an issue for every pattern of `rules` the enforcement point cannot keep the meaning of. */
export function checkDomainsForEnforcement(ctx: z.RefinementCtx, kind: DomainEnforcementKind, rules: readonly DomainEgressRule[], path: readonly (string | number)[]): void {
  rules.forEach((rule, i) =>
    rule.domains.forEach((text, j) => {
      const why = domainUnsupported(kind, parseDomain(text));
      if (why) ctx.addIssue({ code: 'custom', path: [...path, i, 'domains', j], params: { value: text }, message: problem(why[0], why[1]) });
    }),
  );
}

/** Whether `name` (a concrete host) is matched by `pattern`, in the meaning of {@link DomainPattern}. */
export function domainMatches(pattern: DomainPattern, name: string): boolean {
  if (pattern.kind === 'exact') return name === pattern.name;
  if (!name.endsWith(`.${pattern.base}`)) return false;
  const head = name.slice(0, -(pattern.base.length + 1));
  return pattern.kind === 'anyDepth' ? head.length > 0 : head.length > 0 && !head.includes('.');
}
