import { JsonPatch } from 'cdk8s';
import { ANNOTATIONS } from '../internal/labels.js';
import { ReportedError } from '../internal/reported-error.js';
import { ingressRule } from '../kit/index.js';
import { internetEgress, type PodPeer } from '../network/peers.js';
import type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import type { AgentPlatformConfig } from './agent-platform-props.js';

/** A component as the wiring sees it. */
export type Node =
  | { readonly kind: 'agent'; readonly agent: SecureAgentDeployment; readonly serving: IServingWorkload }
  | { readonly kind: 'frontend' | 'store' | 'model-gateway'; readonly serving: IServingWorkload }
  | { readonly kind: 'job' }
  | { readonly kind: 'external'; readonly external: Extract<AgentPlatformConfig['components'][string], { kind: 'external' }> };

/** A declared dependency, wired. */
export interface PlatformEdge {
  /** The calling component. */
  readonly from: string;
  /** The component called. */
  readonly to: string;
  /** The (first) port called: the container port the policies open. */
  readonly port: number;
  /** The names of the ports called, comma-separated. */
  readonly portName: string;
}

/** An agent as a served workload: its `http` port, an ingress rule per caller, and HOST/PORT/URL as its connection. */
export function agentServing(agent: SecureAgentDeployment, containerPort: number): IServingWorkload {
  const host = `${agent.name}.${agent.namespace}.svc`;
  const port = agent.servicePort;
  const connection: IConnection = {
    host,
    port,
    env: ({ prefix = '' } = {}) => ({ [`${prefix}HOST`]: host, [`${prefix}PORT`]: String(port), [`${prefix}URL`]: `http://${host}:${port}` }),
  };
  const servedPorts: ServedPort[] = [{ name: 'http', port, targetPort: containerPort }];
  return {
    name: agent.name,
    namespace: agent.namespace,
    peer: { namespace: agent.namespace, podLabels: { ...agent.selectorLabels } },
    servedPorts,
    connection,
    allowFrom(caller: PodPeer, ports?: readonly string[]) {
      for (const name of ports ?? []) {
        if (name !== 'http') throw new Error(`${agent.node.path}: allowFrom names port "${name}", which ${agent.name} does not serve; use http`);
      }
      agent.networkPolicy.addJsonPatch(JsonPatch.add('/spec/ingress/-', ingressRule([caller], [containerPort], agent.namespace)));
    },
  };
}

/** The default env prefix of a target: `weaver-redis` gives `WEAVER_REDIS_`. */
export function envPrefix(target: string): string {
  return `${target.toUpperCase().replace(/-/g, '_')}_`;
}

type Dependency = Extract<AgentPlatformConfig['components'][string], { kind: 'agent' }>['dependsOn'][number];

/**
 * Wires one dependency of `from`: egress on the caller to the target's pods
 * (or its CIDR) on the one port, ingress on the target from the caller on
 * that port, and the connection's environment on the caller. Throws, naming
 * the component and the property, for a port the target does not serve.
 */
export function wireDependency(path: string, from: string, caller: SecureAgentDeployment, dep: Dependency, index: number, nodes: ReadonlyMap<string, Node>): PlatformEdge {
  const d = typeof dep === 'string' ? { component: dep, env: true, port: undefined, envPrefix: undefined } : dep;
  const where = `${path} props.components.${from}.dependsOn[${index}]`;
  const target = nodes.get(d.component)!;
  if (target.kind === 'job') throw new ReportedError(`${where}: names job ${d.component}, which serves nothing; depend on a component that serves a port`);
  const prefix = d.envPrefix ?? envPrefix(d.component);
  if (target.kind === 'external') {
    const e = target.external;
    if (d.port !== undefined) throw new ReportedError(`${where}.port: names a port of external ${d.component}, which has one port (${e.port}), got ${JSON.stringify(d.port)}; remove it`);
    caller.addEgress(externalEgress(e.destination, e.port, d.component));
    if (d.env) addEnv(caller, { [`${prefix}HOST`]: e.host, [`${prefix}PORT`]: String(e.port), ...e.env });
    return { from, to: d.component, port: e.port, portName: 'tcp' };
  }
  const serving = target.serving;
  // Without a port name the dependency takes every served port (a replicated
  // Redis serves Sentinel beside Redis), as IServingWorkload.allowFrom does.
  const ports = d.port === undefined ? serving.servedPorts : serving.servedPorts.filter((p) => p.name === d.port);
  if (ports.length === 0) {
    const served = serving.servedPorts.map((p) => p.name).join(', ');
    throw new ReportedError(
      `${where}${d.port === undefined ? '' : '.port'}: names no port ${d.component} serves, got ${JSON.stringify(d.port ?? null)}; ${served ? `use one of ${served}` : `${d.component} serves no port, so nothing can depend on it`}`,
    );
  }
  const targetPorts = ports.map((p) => p.targetPort ?? p.port);
  caller.addEgress({ description: `${from} -> ${d.component}`, pods: { ...serving.peer }, ports: targetPorts.map((port) => ({ port })) });
  serving.allowFrom({ namespace: caller.namespace, podLabels: { ...caller.selectorLabels } }, ports.map((p) => p.name));
  if (d.env && serving.connection) addEnv(caller, serving.connection.env({ prefix }));
  return { from, to: d.component, port: targetPorts[0]!, portName: ports.map((p) => p.name).join(',') };
}

/**
 * Wires one dependency of store `from` on store `to`: ingress on the target
 * from the caller's pods on every port it serves (the caller's egress is
 * its own props', built from the dependency its factory was handed).
 */
export function wireStoreDependency(from: string, to: string, nodes: ReadonlyMap<string, Node>): PlatformEdge {
  const [caller, target] = [nodes.get(from), nodes.get(to)] as [{ serving: IServingWorkload }, { serving: IServingWorkload }];
  const ports = target.serving.servedPorts;
  target.serving.allowFrom({ namespace: caller.serving.peer.namespace ?? caller.serving.namespace, podLabels: { ...caller.serving.peer.podLabels } }, ports.map((p) => p.name));
  return { from, to, port: ports[0]?.targetPort ?? ports[0]?.port ?? 0, portName: ports.map((p) => p.name).join(',') };
}

/**
 * Writes the connections annotation on an agent's pods from its
 * dependencies' `connections`: `<namespace>/<target app>=<per pod>`, which
 * the verification sums over the callers at their maximum replicas against
 * the target's connection limit. Throws, naming the dependency, for a target
 * outside the platform's pods (an external service, whose limit is unknown).
 */
export function writeConnections(path: string, from: string, caller: SecureAgentDeployment, deps: readonly Dependency[], nodes: ReadonlyMap<string, Node>, userValue: string | undefined): void {
  const entries = deps.flatMap((dep, i) => {
    if (typeof dep === 'string' || dep.connections === undefined) return [];
    const where = `${path} props.components.${from}.dependsOn[${i}].connections`;
    const target = nodes.get(dep.component)!;
    const peer = 'serving' in target ? target.serving.peer : undefined;
    const app = peer?.podLabels['app.kubernetes.io/name'];
    if (!peer || !app) {
      const what = target.kind === 'external' ? `external ${dep.component}, whose connection limit the platform cannot see` : `${dep.component}, whose pods carry no app.kubernetes.io/name label`;
      throw new ReportedError(`${where}: counts connections to ${what}, got ${dep.connections}; remove it, or depend on a store that declares its limit`);
    }
    return [`${peer.namespace ?? caller.namespace}/${app}=${dep.connections}`];
  });
  if (entries.length === 0) return;
  const value = [...(userValue ? [userValue] : []), ...entries].join(',');
  caller.deployment.addJsonPatch(JsonPatch.add(`/spec/template/metadata/annotations/${ANNOTATIONS.connections.replace(/~/g, '~0').replace(/\//g, '~1')}`, value));
}

type EgressInput = Parameters<SecureAgentDeployment['addEgress']>[0];

function externalEgress(destination: Extract<Node, { kind: 'external' }>['external']['destination'], port: number, name: string): EgressInput {
  if (destination === 'internet') return internetEgress([port], name);
  if ('cidr' in destination) return { description: name, cidr: destination.cidr, except: [...destination.except], ports: [{ port, protocol: 'TCP' }] };
  return { description: name, pods: destination.pods, ports: [{ port, protocol: 'TCP' }] };
}

function addEnv(caller: SecureAgentDeployment, env: Readonly<Record<string, ConnectionEnvValue>>): void {
  for (const [name, value] of Object.entries(env)) caller.addEnv(name, typeof value === 'string' ? value : { fromSecret: { ...value.fromSecret } });
}
