import type { PodPeer } from './peers.js';

/** A port a workload serves to callers. */
export interface ServedPort {
  /** The port's name (`http`, `redis`, `postgres`, …): dependencies name ports by it. */
  readonly name: string;
  /** The port callers connect to through the workload's Service. */
  readonly port: number;
  /** The container port the NetworkPolicy opens. @default - the same as `port` */
  readonly targetPort?: number;
}

/**
 * What a client needs to connect to a served workload: where it is and the
 * environment variables that carry it (host, port, URL, secret references),
 * rendered under names the client chooses.
 */
export interface IConnection {
  /** In-cluster DNS name of the Service clients use. */
  readonly host: string;
  /** The port clients connect to. */
  readonly port: number;
  /**
   * The environment of a client: each value a literal or a reference to a
   * Secret key, never a secret value. `prefix` is put before every name
   * (`REDIS_` gives `REDIS_HOST`, `REDIS_PORT`, …).
   */
  env(options?: { readonly prefix?: string }): Record<string, ConnectionEnvValue>;
}

/** An environment value of a connection: a literal, or a reference to a key of a Secret. */
export type ConnectionEnvValue = string | { readonly fromSecret: { readonly name: string; readonly key: string } };

/**
 * A workload other workloads may depend on. The library's constructs that
 * serve something (agents, data stores, poolers, policy servers, gateways)
 * implement it, and a declared dependency is wired through it: the caller
 * gets an egress rule to {@link peer} on the dependency's ports, the served
 * workload admits the caller with {@link allowFrom}, and the caller's
 * environment comes from {@link connection}. No other traffic is opened.
 */
export interface IServingWorkload {
  /** Object name of the workload and its Service. */
  readonly name: string;
  /** Namespace of the workload. */
  readonly namespace: string;
  /** The workload's pods, as a NetworkPolicy peer (namespace and pod labels, ANDed). */
  readonly peer: PodPeer;
  /** The ports callers may reach. */
  readonly servedPorts: readonly ServedPort[];
  /** How a client connects, when the workload has a client protocol. */
  readonly connection?: IConnection;
  /**
   * Admits `caller` to `ports` (port names; all served ports when omitted):
   * an ingress rule on the workload's NetworkPolicy. Throws for a port name
   * the workload does not serve.
   */
  allowFrom(caller: PodPeer, ports?: readonly string[]): void;
}
