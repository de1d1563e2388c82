import { checkInvariants, type InvariantOptions } from './invariants/index.js';
import { checkPolicies } from './policy/index.js';
import { CustomResourceRegistry, type CustomResource } from './schema/custom.js';
import { GENERATED_CUSTOM_RESOURCES } from './schema/generated.js';
import { validateSchema } from './schema/index.js';
import { isBlocking, type Finding, type KubernetesVersion, type Manifest } from './types.js';

/** Options for {@link verify}. */
export interface VerifyOptions extends InvariantOptions {
  /** Kubernetes minor version to validate against. @default '1.28' */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * Custom resources to validate strictly, beyond the ones the library
   * knows: CustomResourceDefinitions (see `readCustomResourceDefinitions`),
   * `{ apiVersion, kind, schema }` OpenAPI v3 schemas, or model classes
   * generated from a CRD. An object of a kind with no known schema is
   * rejected.
   * @default []
   */
  readonly customResources?: readonly CustomResource[];
}

/** The result of verifying a set of manifests. */
export interface VerifyReport {
  /** Number of objects checked. */
  readonly objects: number;
  /** Every finding, waived ones included. */
  readonly findings: readonly Finding[];
  /** Critical or High findings that are not waived: these fail synth and the CLI. */
  readonly blocking: readonly Finding[];
  /** Findings waived through the waiver annotation (reported, never failing). */
  readonly waived: readonly Finding[];
}

/**
 * Runs all three verification layers over a bundle of manifests: strict
 * structural validation, policy checks (CHECKS.md IDs) and cross-resource
 * invariants.
 */
export function verify(manifests: readonly Manifest[], options: VerifyOptions = {}): VerifyReport {
  const kubernetesVersion = options.kubernetesVersion ?? '1.28';
  const findings = [
    ...validateSchema(manifests, { kubernetesVersion, customResources: registryOf(options.customResources ?? []) }),
    ...checkPolicies(manifests, { kubernetesVersion }),
    ...checkInvariants(manifests, options),
  ];
  return {
    objects: manifests.length,
    findings,
    blocking: findings.filter(isBlocking),
    waived: findings.filter((f) => f.waived !== undefined),
  };
}

const registries = new WeakMap<readonly CustomResource[], CustomResourceRegistry>();

/** One registry per list of custom resources, so repeated runs (synth validates twice) share it. */
function registryOf(resources: readonly CustomResource[]): CustomResourceRegistry {
  let r = registries.get(resources);
  if (!r) {
    r = new CustomResourceRegistry(resources, GENERATED_CUSTOM_RESOURCES);
    registries.set(resources, r);
  }
  return r;
}
