import { JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import { SecureAgentDeployment, type IServingWorkload, type StoreContext } from '../../lib/index.js';
import { ingressRule } from '../../lib/kit/index.js';

/**
 * A stand-in data store for the platform tests, until the library's stores
 * land: a workload serving `redis` on 6379 with a password Secret, behind
 * the IServingWorkload contract the real stores implement.
 */
export function fakeRedis(scope: Construct, id: string, ctx: StoreContext): IServingWorkload {
  const replicas = (ctx.settings.replicas as number | undefined) ?? (ctx.profile === 'dev' ? 1 : 2);
  const store = new SecureAgentDeployment(scope, id, {
    name: id,
    namespace: ctx.namespace,
    profile: ctx.profile,
    partOf: ctx.partOf,
    component: 'cache',
    image: ctx.profile === 'dev' ? 'redis:latest' : 'redis:7.2.4',
    port: 6379,
    metrics: false,
    service: { port: 6379 },
    replicas,
    resources: (ctx.settings.resources as 'small' | 'medium' | undefined) ?? 'small',
    livenessProbe: { tcpPort: 'http' },
    readinessProbe: { command: ['redis-cli', 'ping'] },
    startupProbe: false,
  });
  const host = `${id}.${ctx.namespace}.svc`;
  return {
    name: id,
    namespace: ctx.namespace,
    peer: { namespace: ctx.namespace, podLabels: { ...store.selectorLabels } },
    servedPorts: [{ name: 'redis', port: 6379 }],
    connection: {
      host,
      port: 6379,
      env: ({ prefix = '' } = {}) => ({ [`${prefix}HOST`]: host, [`${prefix}PORT`]: '6379', [`${prefix}PASSWORD`]: { fromSecret: { name: `${id}-auth`, key: 'password' } } }),
    },
    allowFrom(caller, ports) {
      for (const p of ports ?? []) if (p !== 'redis') throw new Error(`${id} serves no port ${p}`);
      // A patch value goes through the L1 converter again: ports must be IntOrString (ingressRule), a plain number is dropped.
      store.networkPolicy.addJsonPatch(JsonPatch.add('/spec/ingress/-', ingressRule([caller], [6379], ctx.namespace)));
    },
  };
}
