import type { IConstruct } from 'constructs';
import type { z } from 'zod';
import type { k8s } from '../internal/plus.js';
import { envValue } from '../kit/index.js';
import { egressRuleSchema, renderEgressRule } from '../network/peers.js';

/**
 * What a {@link DomainEgress} grant gives a workload that asks for its own
 * domains while it is being built (an MCP server, a model gateway, a tool
 * sandbox): env on its container (a proxy's `HTTPS_PROXY`) and rules on its
 * NetworkPolicy. They are collected before the pod and the policy are
 * rendered, so a grant after {@link OwnDomainGrant.close} throws.
 */
export class OwnDomainGrant {
  /** Env for the workload's container. */
  public readonly env: k8s.EnvVar[] = [];
  /** Egress rules for the workload's NetworkPolicy. */
  public readonly egress: k8s.NetworkPolicyEgressRule[] = [];
  private closed = false;

  /**
   * @param owner the workload; its path names it in the error
   * @param namespace the workload's namespace, for the egress rules
   * @param what how the error names the workload ("server", "gateway", "sandbox")
   */
  constructor(
    private readonly owner: IConstruct,
    private readonly namespace: string,
    private readonly what: string,
  ) {}

  /** Called once the workload's pod and NetworkPolicy are built from {@link env} and {@link egress}. */
  public close(): void {
    this.closed = true;
  }

  public addEnv(name: string, value: string): void {
    this.check('addEnv');
    this.env.push(envValue(name, value));
  }

  public addEgress(rule: z.input<typeof egressRuleSchema>): void {
    this.check('addEgress');
    this.egress.push(renderEgressRule(egressRuleSchema.parse(rule), this.namespace));
  }

  private check(method: string): void {
    if (this.closed) throw new Error(`${this.owner.node.path}: ${method} is for the ${this.what}'s own DomainEgress grant, during construction`);
  }
}
