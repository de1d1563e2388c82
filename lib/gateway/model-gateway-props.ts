import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { dnsLabel, dnsSubdomain, labelMap, portNumber, workloadName } from '../core/schemas.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { problem } from '../internal/props.js';

/** What the gateway knows of each LLM provider: its API's domains, the key's env name in LiteLLM, the model prefix, and the base-URL variable of its SDK. */
export const MODEL_PROVIDERS = {
  openai: { domains: ['api.openai.com'], keyEnv: 'OPENAI_API_KEY', prefix: 'openai', baseUrlEnv: 'OPENAI_BASE_URL' },
  anthropic: { domains: ['api.anthropic.com'], keyEnv: 'ANTHROPIC_API_KEY', prefix: 'anthropic', baseUrlEnv: 'ANTHROPIC_BASE_URL' },
  gemini: { domains: ['generativelanguage.googleapis.com'], keyEnv: 'GEMINI_API_KEY', prefix: 'gemini', baseUrlEnv: 'GOOGLE_GEMINI_BASE_URL' },
  mistral: { domains: ['api.mistral.ai'], keyEnv: 'MISTRAL_API_KEY', prefix: 'mistral', baseUrlEnv: 'MISTRAL_BASE_URL' },
} as const;

/** A key of a Secret. */
export interface ProviderKeyRef {
  /** Name of the Secret, in the gateway's namespace. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** A provider the gateway forwards to. */
export interface ModelProviderProps {
  /** The provider (its API domains and key variable are known to the gateway). */
  readonly provider: 'openai' | 'anthropic' | 'gemini' | 'mistral';
  /** Model names agents may ask for, as the provider names them (`gpt-4o`, `claude-sonnet-4-5`). */
  readonly models: readonly string[];
  /** The Secret key holding the provider's API key; only the gateway's pods read it. */
  readonly apiKey: ProviderKeyRef;
}

/** Where the gateway sends a model's requests when its provider fails (after LiteLLM's retries). */
export interface ModelFallback {
  /** The model whose failed requests fall back, as listed in a provider's `models`. */
  readonly model: string;
  /** The models tried instead, in order, each listed in a provider's `models` (another provider's, for provider failover). */
  readonly to: readonly string[];
}

/** Props of {@link ModelGateway}. */
export interface ModelGatewayProps {
  /** Namespace of the gateway. */
  readonly namespace: string;
  /**
   * LiteLLM proxy image that runs as a non-root user, pinned to a version tag
   * or digest (e.g. `ghcr.io/berriai/litellm-non_root:<version>`).
   * @see https://docs.litellm.ai/docs/proxy/deploy
   */
  readonly image: string;
  /** The providers, at least one. */
  readonly providers: readonly ModelProviderProps[];
  /**
   * Fallbacks between the listed models (`gpt-4` to `claude-sonnet-4-5`):
   * LiteLLM's `router_settings.fallbacks`.
   * @default - none: a failed request fails
   * @see https://docs.litellm.ai/docs/proxy/reliability
   */
  readonly fallbacks?: readonly ModelFallback[];
  /** Name of the Deployment, Service and related objects. @default 'model-gateway' */
  readonly name?: string;
  /** Port of the OpenAI-compatible API. @default 4000 */
  readonly port?: number;
  /** Replicas; two or more so a rollout or drain never cuts agents off their models. @default 2 */
  readonly replicas?: number;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const providerSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'gemini', 'mistral']),
  models: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9._:/@]*$/, { error: problem('is not a model name', "write it as the provider names it, like 'gpt-4o'") })).min(1, {
    error: problem('is empty', 'list the models agents may use'),
  }),
  apiKey: z.strictObject({ secretName: dnsSubdomain, key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a Secret key', "use letters, digits, '-', '_' and '.'") }) }),
});

/** Schema of {@link ModelGatewayProps}. */
export const ModelGatewayPropsSchema = z
  .strictObject({
    namespace: dnsLabel,
    image: imageReference,
    providers: z.array(providerSchema).min(1, { error: problem('is empty: a model gateway with no provider serves nothing', "add a provider, like { provider: 'openai', models: ['gpt-4o'], apiKey: { secretName, key } }") }),
    fallbacks: z.array(z.strictObject({ model: z.string(), to: z.array(z.string()).min(1, { error: problem('is empty', 'list the models to try instead') }) })).default([]),
    name: workloadName.default('model-gateway'),
    port: portNumber.default(4000),
    replicas: z.number().int().min(2, { error: problem('must be at least 2', 'run 2 or more replicas so a rollout or node drain keeps the models reachable') }).default(2),
    partOf: dnsLabel.optional(),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.providers.forEach((pr, i) => {
      if (seen.has(pr.provider)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'provider'], message: problem(`lists ${pr.provider} twice`, 'list each provider once, with all its models') });
      seen.add(pr.provider);
    });
    checkFallbacks(p, ctx);
  });

/** Each fallback names models the gateway serves, never the model itself, and each model once. */
function checkFallbacks(p: { providers: { models: string[] }[]; fallbacks: { model: string; to: string[] }[] }, ctx: z.RefinementCtx): void {
  const models = p.providers.flatMap((pr) => pr.models);
  const fix = `use one of ${models.join(', ')}`;
  const from = new Set<string>();
  p.fallbacks.forEach((f, i) => {
    if (!models.includes(f.model)) ctx.addIssue({ code: 'custom', path: ['fallbacks', i, 'model'], message: problem('is no model of the providers', fix) });
    else if (from.has(f.model)) ctx.addIssue({ code: 'custom', path: ['fallbacks', i, 'model'], message: problem('has a fallback already', 'give each model one list, in order') });
    from.add(f.model);
    f.to.forEach((m, j) => {
      if (m === f.model) ctx.addIssue({ code: 'custom', path: ['fallbacks', i, 'to', j], message: problem('is the model itself', 'fall back to another model') });
      else if (!models.includes(m)) ctx.addIssue({ code: 'custom', path: ['fallbacks', i, 'to', j], message: problem('is no model of the providers', fix) });
    });
  });
}
true satisfies SchemaAgrees<typeof ModelGatewayPropsSchema, ModelGatewayProps>;

/** Parsed props of {@link ModelGateway}. */
export type ModelGatewayConfig = z.output<typeof ModelGatewayPropsSchema>;
