import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain, labelMap, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { envSchema, resourcesSchema, type EnvValue, type Resources } from '../workload/container.js';

/** Domains a tool sandbox may reach (a package index, a code host), and the TCP ports. */
export interface SandboxEgressDomains {
  /** Domain patterns: `pypi.org`, `*.example.com` (one level below), `**.example.com` (any depth below). */
  readonly domains: readonly string[];
  /** TCP ports, e.g. `[443]`. */
  readonly ports: readonly number[];
}

/**
 * Props of {@link ToolSandbox}: an isolated environment for a tool that
 * executes code (a code interpreter, a shell), run by the kubernetes-sigs
 * agent-sandbox controller from a SandboxTemplate, with a warm pool of
 * ready sandboxes.
 * @see https://github.com/kubernetes-sigs/agent-sandbox
 */
export interface ToolSandboxProps {
  /** Name of the SandboxTemplate, SandboxWarmPool and NetworkPolicy. */
  readonly name: string;
  /** Namespace of the sandboxes. */
  readonly namespace: string;
  /** Deployment profile: the warm pool's size and whether a mutable image tag is accepted. @default 'production' */
  readonly profile?: Profile;
  /** Image of the sandbox (the tool's runtime), which must run as a non-root user; pinned outside `dev`. */
  readonly image: string;
  /**
   * The sandboxed container runtime (a RuntimeClass such as `gvisor`, from a
   * {@link SandboxRuntimeClass} or declared external): code an agent sends
   * runs in a user-space kernel or a VM, never on the node's kernel.
   * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
   */
  readonly runtimeClassName: string;
  /** Command of the container. @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** Arguments of the container. @default - the image's */
  readonly args?: readonly string[];
  /** Port the tool serves agents on. @default 8888 */
  readonly port?: number;
  /** Environment of the container: literals, or references to ConfigMap and Secret keys. @default {} */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /** Requests and limits: a sizing preset or explicit ones. @default 'small' */
  readonly resources?: Resources;
  /** Size of the writable `/workspace` (an emptyDir; the root filesystem is read-only). @default '1Gi' */
  readonly workspaceSize?: string;
  /** UID the container runs as (not 0). @default 10001 */
  readonly runAsUser?: number;
  /** Sandboxes kept ready in the warm pool, so a claim starts at once. @default - 2 (1 in dev) */
  readonly warmPoolSize?: number;
  /**
   * Domains the sandboxes may reach, enforced by the app's
   * {@link DomainEgress}; with none, the sandboxes reach nothing but DNS.
   * @default - none
   */
  readonly egressDomains?: readonly SandboxEgressDomains[];
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object and the sandbox pods. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Schema of {@link ToolSandboxProps}. */
export const ToolSandboxPropsSchema = z
  .strictObject({
    name: dnsLabel.max(47),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    image: imageReference,
    runtimeClassName: dnsSubdomain,
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    port: portNumber.default(8888),
    env: envSchema.default({}),
    resources: resourcesSchema.default('small'),
    workspaceSize: bytesQuantity.default('1Gi'),
    runAsUser: z.number().int().min(1, { error: problem('must not be root', 'run as a non-zero UID, like 10001') }).default(10001),
    warmPoolSize: z.number().int().min(0, { error: problem('is negative', 'give 0 for no warm pool, or the sandboxes to keep ready') }).optional(),
    // Checked again by DomainEgress.allow against the enforcement point.
    egressDomains: z.array(z.strictObject({ domains: z.array(z.string()).min(1), ports: z.array(portNumber).min(1) })).default([]),
    partOf: dnsLabel.optional(),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => checkImageForProfile(ctx, p.image, p.profile, ['image']));
true satisfies SchemaAgrees<typeof ToolSandboxPropsSchema, ToolSandboxProps>;

/** Parsed {@link ToolSandboxProps}. */
export type ToolSandboxConfig = z.output<typeof ToolSandboxPropsSchema>;
