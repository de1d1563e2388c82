import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { dnsLabel, envVarName, httpPath, labelMap, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { podPeerSchema, type PodPeer } from '../network/peers.js';
import { envSchema, resourcesSchema, type EnvValue, type Resources } from '../workload/container.js';

/**
 * The characters of an MCP tool name: letters, digits, `_`, `-` and `.`, 1 to
 * 128 of them (the MCP specification's rule).
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#tool-names
 */
export const MCP_TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

// The kube-agentic-networking CRD (v0alpha0) caps an XAccessPolicy at 10 rules
// (one per agent ServiceAccount) and a rule at 64 tools.
/** The most agents one {@link McpServer} admits: its XAccessPolicy holds at most 10 rules, one per agent. */
export const MCP_MAX_AGENTS = 10;
/** The most tools one rule of an XAccessPolicy lists. */
export const MCP_MAX_TOOLS = 64;

const toolName = z.string().regex(MCP_TOOL_NAME_PATTERN, {
  error: problem('is not an MCP tool name', "use 1 to 128 letters, digits, '_', '-' or '.', as the server names the tool (like 'search_docs')"),
});

/** A list of tool names: not empty, each valid and listed once. */
export function toolList(what: string): z.ZodType<string[], string[]> {
  return z
    .array(toolName)
    .min(1, { error: problem(`is empty: ${what}`, "list the tools by the names the server gives them, like ['search_docs']") })
    .max(MCP_MAX_TOOLS, { error: problem(`lists more than ${MCP_MAX_TOOLS} tools, the most an access rule holds`, 'split the tools over several MCP servers') })
    .superRefine((tools, ctx) => {
      tools.forEach((t, i) => {
        if (tools.indexOf(t) !== i) ctx.addIssue({ code: 'custom', path: [i], params: { value: t }, message: problem(`lists tool ${t} twice`, 'list each tool once') });
      });
    });
}

/**
 * The agentic-networking gateway that enforces the tool policy: the Envoy
 * proxies the kube-agentic-networking controller provisions for a Gateway.
 * With it, agents reach the MCP server only through those proxies.
 * @see https://github.com/kubernetes-sigs/kube-agentic-networking/blob/main/quickstart/quickstart.md
 */
export interface McpToolGateway {
  /** The gateway's proxy pods (namespace and labels, like `kube-agentic-networking.sigs.k8s.io/gateway-name: <gateway>`). */
  readonly pods: PodPeer;
  /** The port agents connect to on the proxies (the Gateway listener's port). */
  readonly port: number;
}

/**
 * Props of {@link McpServer}: a Model Context Protocol tool server served
 * over streamable HTTP.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */
export interface McpServerProps<Tool extends string = string> {
  /** Name of the Deployment, Service, XBackend and XAccessPolicy. */
  readonly name: string;
  /** Namespace of the server. */
  readonly namespace: string;
  /** Deployment profile: replicas and whether a mutable image tag is accepted. @default 'production' */
  readonly profile?: Profile;
  /** Image of the MCP server, which must run as a non-root user; pinned to a version tag or digest outside `dev`. */
  readonly image: string;
  /**
   * The tools the server offers, by the names it lists them under
   * (`tools/list`). Agents are granted a subset of these with
   * {@link McpServer.connect}; a tool not listed here can be granted to no
   * agent.
   */
  readonly tools: readonly Tool[];
  /** Port of the streamable HTTP endpoint. @default 8080 */
  readonly port?: number;
  /** URL path of the MCP endpoint. @default '/mcp' */
  readonly path?: string;
  /** Path the liveness probe requests (HTTP GET on the port). @default '/healthz' */
  readonly livenessPath?: string;
  /** Path the readiness probe requests (HTTP GET on the port). @default '/readyz' */
  readonly readinessPath?: string;
  /** Arguments of the container. @default - the image's */
  readonly args?: readonly string[];
  /** Environment of the container: literals, or references to ConfigMap and Secret keys. @default {} */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /** Requests and limits: a sizing preset or explicit ones. @default 'small' */
  readonly resources?: Resources;
  /** UID the container runs as (not 0). @default 10001 */
  readonly runAsUser?: number;
  /** Pods; two or more outside `dev`, so a rollout or drain never cuts agents off their tools. @default - 2 (1 in dev) */
  readonly replicas?: number;
  /**
   * Domains the server itself calls (a search API, a code host), enforced by
   * the app's {@link DomainEgress}; nothing else is reachable.
   * @default - none
   */
  readonly egressDomains?: readonly McpEgressDomains[];
  /**
   * The kube-agentic-networking gateway that enforces the tool policy. With
   * it, the server admits only the gateway's proxies, and connected agents
   * get egress to the proxies instead of the server.
   * @default - agents connect to the server directly, and the server admits exactly the connected agents
   */
  readonly toolGateway?: McpToolGateway;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Domains an MCP server calls, and the TCP ports. */
export interface McpEgressDomains {
  /** Domain patterns: `api.example.com`, `*.example.com` (one level below), `**.example.com` (any depth below). */
  readonly domains: readonly string[];
  /** TCP ports, e.g. `[443]`. */
  readonly ports: readonly number[];
}

/** Schema of {@link McpServerProps}. */
export const McpServerPropsSchema = z
  .strictObject({
    name: dnsLabel.max(47),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    image: imageReference,
    tools: toolList('an MCP server with no tool serves nothing'),
    port: portNumber.default(8080),
    path: httpPath.default('/mcp'),
    livenessPath: httpPath.default('/healthz'),
    readinessPath: httpPath.default('/readyz'),
    args: z.array(z.string()).optional(),
    env: envSchema.default({}),
    resources: resourcesSchema.default('small'),
    runAsUser: z.number().int().min(1, { error: problem('must not be root', 'run as a non-zero UID, like 10001') }).default(10001),
    replicas: z.number().int().min(1).optional(),
    // Checked again by DomainEgress.allow against the enforcement point.
    egressDomains: z.array(z.strictObject({ domains: z.array(z.string()).min(1), ports: z.array(portNumber).min(1) })).default([]),
    toolGateway: z.strictObject({ pods: podPeerSchema, port: portNumber }).optional(),
    partOf: dnsLabel.optional(),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => {
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    if (p.profile !== 'dev' && p.replicas === 1) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], params: { value: 1 }, message: problem(`is a single MCP server in the ${p.profile} profile, so every restart cuts agents off their tools`, 'run 2 or more') });
    }
    if (p.livenessPath === p.readinessPath) {
      ctx.addIssue({ code: 'custom', path: ['readinessPath'], params: { value: p.readinessPath }, message: problem('is the liveness path too, so a busy server is restarted instead of taken out of rotation', 'give readiness its own path') });
    }
  });
true satisfies SchemaAgrees<typeof McpServerPropsSchema, McpServerProps>;

/** Parsed {@link McpServerProps}. */
export type McpServerConfig = z.output<typeof McpServerPropsSchema>;

/** Options of {@link McpServer.connect}: what one agent may do with the server. */
export interface McpConnectOptions<Tool extends string = string> {
  /** The tools the agent may call, a subset of the server's `tools`; every other `tools/call` is denied. */
  readonly tools: readonly Tool[];
  /** An environment variable of the agent that gets the server's MCP URL (like `MCP_SEARCH_URL`). @default - none set */
  readonly urlEnv?: string;
}

/** Schema of {@link McpConnectOptions}, for a server offering `offered`. */
export function mcpConnectOptionsSchema(server: string, offered: readonly string[]) {
  return z.strictObject({
    tools: toolList('an agent granted no tool has nothing to call').superRefine((tools, ctx) => {
      tools.forEach((t, i) => {
        if (!offered.includes(t)) {
          ctx.addIssue({ code: 'custom', path: [i], params: { value: t }, message: problem(`is not a tool MCP server ${server} offers`, `use one of ${offered.join(', ')}, or add it to the server's tools`) });
        }
      });
    }),
    urlEnv: envVarName.optional(),
  });
}
true satisfies SchemaAgrees<ReturnType<typeof mcpConnectOptionsSchema>, McpConnectOptions>;
