import type { ApiObject } from 'cdk8s';
import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import { ReportedError } from '../internal/reported-error.js';
import { formatIssue, PropsValidationError } from '../internal/props.js';
import { managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';
import { publicEgress } from './baseline.js';
import { DomainEgressPropsSchema, type DomainEgressConfig, type DomainEgressProps, type IDomainEgressClient } from './domain-egress-props.js';
import { checkDomainsForEnforcement, domainEgressRuleSchema, type DomainEgressRule, type DomainEnforcementKind } from './domains.js';
import { EgressProxy } from './egress-proxy.js';
import { renderCilium, renderGke, renderIstio, type EgressSubject } from './renderers.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const DomainEgressIds = {
  Proxy: 'Proxy',
} as const;

/** A domain allow-list entry, as an agent declares it: domains (`name`, `*.name`, `**.name`) and TCP ports. */
export interface DomainEgressRuleProps {
  /** Domain patterns: `api.example.com`, `*.example.com` (one level below), `**.example.com` (any depth below). */
  readonly domains: readonly string[];
  /** TCP ports, e.g. `[443]`. */
  readonly ports: readonly number[];
}

/** What {@link DomainEgress.allow} made for one agent. */
export interface DomainEgressGrant {
  /** The policy objects of the enforcement point (none for the proxy and plain NetworkPolicy). */
  readonly objects: readonly ApiObject[];
}

/**
 * Egress by domain name, enforced at one point chosen for the whole
 * platform: Cilium, Istio, the GKE FQDN network policy controller, an egress
 * proxy, or (acknowledged as not enforcing names) plain NetworkPolicy. Each
 * agent's list is checked against the target's wildcard semantics and
 * rendered for it with {@link DomainEgress.allow}.
 *
 * One per app: a second one fails synth, so no agent's list is enforced at
 * another point than the others'.
 */
export class DomainEgress extends Construct {
  /** The enforcement point. */
  public readonly enforcement: DomainEnforcementKind;
  /** The egress proxy, with `enforcement.type: 'proxy'`. */
  public readonly proxy?: EgressProxy;
  private readonly config: DomainEgressConfig;
  private readonly granted = new Set<IConstruct>();

  constructor(scope: Construct, id: string, props: DomainEgressProps) {
    super(scope, id);
    const p = parseConstructProps(this, DomainEgressPropsSchema, props);
    const other = this.node.root.node.findAll().find((c) => c instanceof DomainEgress && c !== this);
    if (other) {
      throw new ReportedError(`${this.node.path}: the app already chooses its domain egress enforcement at ${other.node.path}; use that one (DomainEgress.of(scope)), so every agent's list is enforced at the same point`);
    }
    [this.config, this.enforcement] = [p, p.enforcement.type];
    // With a proxy, `ApiObject.of(domainEgress)` reaches the proxy's Deployment;
    // the other enforcement points make objects per agent only.
    if (p.enforcement.type === 'proxy') this.proxy = setPrimary(this, new EgressProxy(this, DomainEgressIds.Proxy, p.enforcement.proxy));
  }

  /** The app's DomainEgress; throws when it has none. */
  public static of(scope: IConstruct): DomainEgress {
    const found = scope.node.root.node.findAll().find((c): c is DomainEgress => c instanceof DomainEgress);
    if (!found) throw new ReportedError(`${scope.node.path}: declares egress domains, but the app has no DomainEgress; create one to choose where domains are enforced (cilium, istio, gke, proxy)`);
    return found;
  }

  /**
   * Lets `client` reach `rules` (and nothing else by name). The list is
   * checked first: bad names, IP addresses, URLs, ports out of range, and
   * wildcards the enforcement point would read otherwise fail, naming the
   * agent and `props.egressDomains[i]`.
   */
  public allow(client: IDomainEgressClient, rules: readonly DomainEgressRuleProps[]): DomainEgressGrant {
    const parsed = this.parseRules(client, rules);
    if (this.granted.has(client)) throw new ReportedError(`${client.node.path}: already has its egress domains; declare them in one list`);
    this.granted.add(client);
    const subject: EgressSubject = { name: client.name, namespace: client.namespace, selector: client.selectorLabels };
    const scope = new Construct(this, `${client.namespace}-${client.name}`);
    const meta = (kind: string, name: string) => managedMeta(scope, kind, client.namespace, name, client.labels);
    const e = this.config.enforcement;
    const ports = [...new Set(parsed.flatMap((r) => r.ports))].sort((a, b) => a - b);
    switch (e.type) {
      case 'cilium':
        return { objects: [renderCilium(scope, meta, subject, parsed, e.dns)] };
      case 'istio':
        for (const r of publicEgress(ports, 'allow-listed domains through the Istio sidecar')) client.addEgress(r);
        return { objects: renderIstio(scope, meta, subject, parsed) };
      case 'gke':
        return { objects: [renderGke(scope, meta, subject, parsed)] };
      case 'proxy':
        this.proxy!.addClient(client, parsed);
        return { objects: [] };
      case 'networkPolicy':
        for (const r of publicEgress(ports, `names not enforced: ${e.acknowledgeNamesNotEnforced}`)) client.addEgress(r);
        return { objects: [] };
    }
  }

  private parseRules(client: IDomainEgressClient, rules: readonly DomainEgressRuleProps[]): DomainEgressRule[] {
    const kind = this.enforcement;
    const schema = z.strictObject({
      egressDomains: z.array(domainEgressRuleSchema).superRefine((list, ctx) => checkDomainsForEnforcement(ctx, kind, list, [])),
    });
    const input = { egressDomains: rules };
    const result = schema.safeParse(input);
    if (result.success) return result.data.egressDomains;
    const lines = result.error.issues.flatMap((issue) => formatIssue(client.node.path, issue, input));
    throw new PropsValidationError(client.node.path, lines);
  }
}
