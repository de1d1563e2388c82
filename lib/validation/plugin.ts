/**
 * The verification as a cdk8s-cli validation plugin, for any cdk8s app
 * (plain cdk8s-plus included): listed under `validations:` in cdk8s.yaml,
 * `cdk8s synth` runs it over the manifests it synthesized and fails when a
 * finding blocks.
 *
 * ```yaml
 * validations:
 *   - package: ./node_modules/cdk8s-agent-platform
 *     version: 0.1.0
 *     class: AgentPlatformValidation
 *     properties:
 *       kubernetesVersion: '1.31'
 *       external: [Secret/agents/llm-credentials]
 * ```
 *
 * The contract (cdk8s-cli's `lib/plugins/validation.d.ts`) is declared here
 * structurally, so the library does not depend on cdk8s-cli.
 */
import { load, withSources } from './cli.js';
import { isBlocking, type Finding, type KubernetesVersion } from './types.js';
import { verify } from './verify.js';

/** The part of cdk8s-cli's `ValidationContext` the plugin uses. */
export interface PluginValidationContext {
  /** Paths of the synthesized manifests. */
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(violation: {
      readonly ruleName: string;
      readonly recommendation: string;
      readonly fix: string;
      readonly violatingResources: readonly { readonly resourceName: string; readonly locations: readonly string[]; readonly manifestPath: string }[];
    }): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  readonly logger: { log(message: string): void };
}

/** `properties:` of the plugin's entry in cdk8s.yaml. */
export interface AgentPlatformValidationProperties {
  /**
   * Kubernetes release the manifests are checked against.
   * @default '1.28'
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * Objects referenced by the manifests that exist outside them
   * (`Kind/name` or `Kind/namespace/name`).
   * @default []
   */
  readonly external?: readonly string[];
}

const VERSIONS: readonly string[] = ['1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];

/**
 * A cdk8s-cli validation plugin running this library's verification (strict
 * schemas, the CHECKS policy checks, cross-resource invariants) over all the
 * synthesized manifests together. Every finding is a violation; waived ones
 * are logged. The report fails on a Critical or High finding that is not
 * waived, or on a manifest that cannot be read.
 */
export class AgentPlatformValidation {
  private readonly kubernetesVersion: KubernetesVersion;
  private readonly external: readonly string[];

  constructor(properties: AgentPlatformValidationProperties = {}) {
    const version = String(properties.kubernetesVersion ?? '1.28');
    if (!VERSIONS.includes(version)) {
      throw new Error(`AgentPlatformValidation: properties.kubernetesVersion is ${JSON.stringify(properties.kubernetesVersion)}; fix: use one of ${VERSIONS.join(', ')}`);
    }
    const external = properties.external ?? [];
    if (!Array.isArray(external) || external.some((e) => typeof e !== 'string')) {
      throw new Error(`AgentPlatformValidation: properties.external is ${JSON.stringify(properties.external)}; fix: a list of Kind/name or Kind/namespace/name strings`);
    }
    this.kubernetesVersion = version as KubernetesVersion;
    this.external = external;
  }

  /** Runs the verification over `context.manifests` and submits the report. */
  public async validate(context: PluginValidationContext): Promise<void> {
    const loaded = load(context.manifests);
    for (const e of loaded.errors) {
      context.report.addViolation({ ruleName: 'READ', recommendation: `the manifest cannot be read: ${e.message}`, fix: 'synthesize valid YAML', violatingResources: [{ resourceName: e.file, locations: [], manifestPath: e.file }] });
    }
    const report = verify(loaded.manifests, { kubernetesVersion: this.kubernetesVersion, external: this.external });
    const findings = withSources(report.findings, loaded);
    for (const f of findings) {
      if (f.waived) {
        context.logger.log(`waived: ${describe(f)} (${f.waived.reason})`);
        continue;
      }
      context.report.addViolation({
        ruleName: `${f.checkId} (${f.severity})`,
        recommendation: f.message,
        fix: f.fix,
        violatingResources: [{ resourceName: objectName(f), locations: [f.path || '<object>'], manifestPath: f.source ?? '' }],
      });
    }
    const blocking = findings.filter(isBlocking).length;
    const failed = blocking > 0 || loaded.errors.length > 0;
    context.report.submit(failed ? 'failure' : 'success', {
      kubernetesVersion: this.kubernetesVersion,
      objects: String(loaded.manifests.length),
      blocking: String(blocking),
      findings: String(findings.length),
    });
  }
}

function objectName(f: Finding): string {
  return `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`;
}

function describe(f: Finding): string {
  return `${f.checkId} ${f.severity} ${objectName(f)} ${f.path}: ${f.message}`;
}
