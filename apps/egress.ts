import { Chart, type App } from 'cdk8s';
import { AgentNamespace, DomainEgress } from '../lib/index.js';

/** The Squid image of the egress proxy (Canonical's, pinned to a version tag). */
export const EGRESS_PROXY_IMAGE = 'ubuntu/squid:6.6-24.04_edge';

/**
 * The platform's one domain egress enforcement point: an egress proxy in
 * namespace `egress`, so the reference app enforces agents' domain lists on
 * any CNI. The first chart that needs it creates it, in a chart of its own;
 * the others reuse it.
 */
export function platformEgress(app: App): DomainEgress {
  const found = app.node.findAll().find((c): c is DomainEgress => c instanceof DomainEgress);
  if (found) return found;
  const chart = new Chart(app, 'egress');
  const ns = new AgentNamespace(chart, 'Namespace', { name: 'egress', labels: { environment: 'production' } });
  return new DomainEgress(chart, 'Egress', { enforcement: { type: 'proxy', proxy: { namespace: ns.name, image: EGRESS_PROXY_IMAGE, partOf: 'agent-platform' } } });
}
