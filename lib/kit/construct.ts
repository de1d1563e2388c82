import type { ApiObject } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import type { z } from 'zod';
import { parseProps } from '../internal/props.js';
import { WAIVER_ANNOTATION_PREFIX } from '../validation/internal/annotations.js';
import { ensureVerification, validateWithModel } from '../validation/synth.js';

/**
 * The first statement of every constructor after `super()`: parses the props
 * against their schema (one error listing every problem, naming the
 * construct path and property) and makes sure the app is verified at synth.
 */
export function parseConstructProps<S extends z.ZodType>(scope: Construct, schema: S, props: unknown): z.output<S> {
  const parsed = parseProps(scope, schema, props);
  ensureVerification(scope);
  return parsed;
}

/**
 * Makes `primary` the construct's `node.defaultChild`, so that
 * `ApiObject.of(construct)` reaches it (the cdk8s-plus convention), and
 * returns it.
 */
export function setPrimary<T extends ApiObject | IConstruct>(scope: IConstruct, primary: T): T {
  scope.node.defaultChild = primary;
  return primary;
}

/**
 * Waiver annotations (`waivers.cdk8s-agent-platform.dev/<CHECK>: <reason>`)
 * for the given checks, all with one reason: the verification reports their
 * findings on the object as waived, with the reason, instead of failing.
 */
export function waiverAnnotations(checks: readonly string[], reason: string): Record<string, string> {
  return Object.fromEntries(checks.map((id) => [`${WAIVER_ANNOTATION_PREFIX}${id}`, reason]));
}

/**
 * Checks an object a construct builds against the schema of its kind in the
 * model packages (`@kubernetes-models/*`), as `new Model(body).validate()`
 * does; throws the model's validation error. The models load on the first
 * check, not when the library is imported.
 */
export function validateAgainstModel(body: { readonly apiVersion: string; readonly kind: string }): void {
  validateWithModel(body.apiVersion, body.kind, body);
}
