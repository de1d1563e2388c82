import { describe, expect, it } from 'vitest';
import {
  checkInvariants,
  DEPENDS_ON_ANNOTATION,
  EXTERNAL_REFS_ANNOTATION,
  INGRESS_FROM_ANNOTATION,
  type InvariantOptions,
} from '../../lib/validation/invariants/index.js';
import { isIanaServiceName, portName } from '../../lib/core/schemas.js';
import { checkPolicies } from '../../lib/validation/policy/index.js';
import { at, found, get, goodBundle, goodDeployment, manifests, NS, type M } from './fixtures.js';

function invariants(bundle: M[], options: InvariantOptions = {}) {
  return checkInvariants(manifests(bundle), options);
}

/** The good bundle with one change, and the findings of one check on it. */
function check(id: string, change: (b: M[]) => void, options: InvariantOptions = {}) {
  const b = goodBundle();
  change(b);
  return found(invariants(b, options), id);
}

const dep = (b: M[]) => get(b, 'Deployment', 'api');
const pod = (b: M[]) => dep(b).spec.template.spec;
const ctr = (b: M[]) => pod(b).containers[0];
const remove = (b: M[], kind: string, name: string) => b.splice(b.indexOf(get(b, kind, name)), 1);
const C = 'spec.template.spec.containers[0]';
const labels = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' };

/**
 * A second workload `name` in namespace `ns` labelled `app.kubernetes.io/name: name`,
 * with its own isolating policy; a new namespace gets the default-deny and DNS policies.
 */
function addApp(b: M[], name: string, ns = NS, policy?: M): M {
  const d = goodDeployment(name);
  d.metadata.namespace = ns;
  b.push(d);
  if (ns !== NS) {
    for (const base of ['default-deny', 'allow-dns']) {
      const copy = structuredClone(get(b, 'NetworkPolicy', base));
      copy.metadata.namespace = ns;
      b.push(copy);
    }
  }
  b.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns },
    spec: policy ?? { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } }, policyTypes: ['Ingress', 'Egress'] },
  });
  return d;
}

describe('checkInvariants', () => {
  it('reports nothing on the reference bundle', () => {
    expect(invariants(goodBundle())).toEqual([]);
  });

  it('reports nothing that the reference bundle fails in the policy layer either', () => {
    expect(checkPolicies(manifests(goodBundle()), { kubernetesVersion: '1.28' })).toEqual([]);
  });

  describe('duplicates (D-SKR-14)', () => {
    it('reports a second Namespace as PSS-18 and any other duplicate as WKL-06', () => {
      const findings = check('PSS-18', (b) => b.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { name: NS } } }));
      expect(findings).toEqual([
        at(
          'PSS-18',
          'High',
          'Namespace',
          NS,
          'metadata.name',
          'Namespace "agents" is defined twice (objects 1 and 12), with different labels: app.kubernetes.io/managed-by, pod-security.kubernetes.io/enforce, pod-security.kubernetes.io/enforce-version, pod-security.kubernetes.io/audit, pod-security.kubernetes.io/audit-version, pod-security.kubernetes.io/warn, pod-security.kubernetes.io/warn-version, name, so one apply drops the other\'s labels',
          null,
        ),
      ]);
      expect(check('WKL-06', (b) => b.push(goodDeployment('api')))).toEqual([
        at('WKL-06', 'Medium', 'Deployment', 'api', 'metadata.name', 'Deployment "api" in namespace agents is defined twice (objects 7 and 12), so one silently replaces the other'),
      ]);
    });

    it('tells objects apart by namespace, with no namespace meaning default', () => {
      expect(
        check('WKL-06', (b) => {
          const other = goodDeployment('api');
          other.metadata.namespace = 'other';
          b.push(other);
        }),
      ).toEqual([]);
      const cm = (namespace?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', ...(namespace ? { namespace } : {}) } });
      expect(found(invariants([cm(), cm('default')]), 'WKL-06')).toEqual([
        at('WKL-06', 'Medium', 'ConfigMap', 'c', 'metadata.name', 'ConfigMap "c" in namespace default is defined twice (objects 1 and 2), so one silently replaces the other', 'default'),
      ]);
    });
  });

  describe('references (SEC-07, SEC-04)', () => {
    const secretEnv = (b: M[], name: string, key: string) => (ctr(b).env = [{ name: 'DB', valueFrom: { secretKeyRef: { name, key } } }]);

    it('reports a Secret that nothing produces', () => {
      expect(check('SEC-07', (b) => secretEnv(b, 'db', 'url'))).toEqual([
        at('SEC-07', 'High', 'Deployment', 'api', `${C}.env[0].valueFrom.secretKeyRef.name`, 'container "api" refers to Secret "db", which is not in the bundle and not declared external'),
      ]);
    });

    it('counts Secrets produced by ExternalSecret, SealedSecret, Certificate and cert-manager Ingress', () => {
      const producers: M[] = [
        { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'es', namespace: NS }, spec: { target: { name: 'from-es' }, data: [{ secretKey: 'url', remoteRef: { key: 'x' } }] } },
        { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'es-named', namespace: NS }, spec: { dataFrom: [{ extract: { key: 'x' } }] } },
        { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'sealed', namespace: NS }, spec: { encryptedData: { url: 'AgB...' } } },
        { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'cert', namespace: NS }, spec: { secretName: 'tls-cert', dnsNames: ['a.example.com'], issuerRef: { name: 'le' } } },
      ];
      expect(
        check('SEC-07', (b) => {
          b.push(...producers);
          ctr(b).env = [
            { name: 'A', valueFrom: { secretKeyRef: { name: 'from-es', key: 'url' } } },
            { name: 'B', valueFrom: { secretKeyRef: { name: 'es-named', key: 'anything' } } },
            { name: 'C', valueFrom: { secretKeyRef: { name: 'sealed', key: 'url' } } },
            { name: 'D', valueFrom: { secretKeyRef: { name: 'tls-cert', key: 'tls.key' } } },
          ];
        }),
      ).toEqual([]);
      // Known keys are cross-checked (D-SKR-10).
      expect(
        check('SEC-07', (b) => {
          b.push(...producers);
          secretEnv(b, 'from-es', 'connection-string');
        }),
      ).toEqual([
        at('SEC-07', 'High', 'Deployment', 'api', `${C}.env[0].valueFrom.secretKeyRef.name`, 'container "api" reads key "connection-string" of Secret (from ExternalSecret "es") "from-es", which has only keys url'),
      ]);
    });

    it('names the namespace a misplaced producer lands in (D-SKR-18)', () => {
      expect(
        check('SEC-07', (b) => {
          b.push({ apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'db' }, spec: { target: { name: 'db' }, data: [{ secretKey: 'url', remoteRef: { key: 'x' } }] } });
          secretEnv(b, 'db', 'url');
        }),
      ).toEqual([
        at('SEC-07', 'High', 'Deployment', 'api', `${C}.env[0].valueFrom.secretKeyRef.name`, 'container "api" refers to Secret "db", which is not in namespace agents (the bundle has it in default) and not declared external'),
      ]);
    });

    it('accepts references declared external by option or annotation', () => {
      const refs = (b: M[]) => {
        secretEnv(b, 'db', 'url');
        ctr(b).envFrom = [{ configMapRef: { name: 'ca-bundle' } }];
        pod(b).volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'data' } });
      };
      expect(check('SEC-07', refs, { external: ['Secret/db', `ConfigMap/${NS}/ca-bundle`, 'PersistentVolumeClaim/data'] })).toEqual([]);
      expect(
        check('SEC-07', (b) => {
          refs(b);
          get(b, 'Namespace', NS).metadata.annotations = { [EXTERNAL_REFS_ANNOTATION]: 'Secret/db, ConfigMap/ca-bundle' };
          dep(b).metadata.annotations = { [EXTERNAL_REFS_ANNOTATION]: 'PersistentVolumeClaim/data' };
        }),
      ).toEqual([]);
      // A namespaced declaration covers that namespace only.
      expect(check('SEC-07', refs, { external: ['Secret/other/db', 'ConfigMap/ca-bundle', 'PersistentVolumeClaim/data'] })).toHaveLength(1);
    });

    it('reports missing ConfigMap keys, optional references and PVCs', () => {
      expect(
        check('SEC-07', (b) => {
          b.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS }, data: { 'app.toml': 'x' } });
          pod(b).volumes.push({ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'security.toml', path: 'security.toml' }] } });
          pod(b).volumes.push({ name: 'backup', persistentVolumeClaim: { claimName: 'backup' } });
          ctr(b).env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url', optional: true } } }];
        }),
      ).toEqual([
        at(
          'SEC-07',
          'High',
          'Deployment',
          'api',
          `${C}.env[0].valueFrom.secretKeyRef.name`,
          'container "api" refers to Secret "db" (optional, so the pod starts without it), which is not in the bundle and not declared external',
        ),
        at('SEC-07', 'High', 'Deployment', 'api', 'spec.template.spec.volumes[1].configMap.items[0].key', 'volume "cfg" reads key "security.toml" of ConfigMap "cfg", which has only keys app.toml'),
        at('SEC-07', 'High', 'Deployment', 'api', 'spec.template.spec.volumes[2].persistentVolumeClaim.claimName', 'volume "backup" refers to PersistentVolumeClaim "backup", which is not in the bundle and not declared external'),
      ]);
    });

    it('wants Ingress TLS secrets to exist or come from cert-manager', () => {
      const ingress = (annotations: Record<string, string>) => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', namespace: NS, annotations },
        spec: { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'], secretName: 'web-tls' }], rules: [] },
      });
      expect(check('SEC-07', (b) => b.push(ingress({})))).toEqual([
        at('SEC-07', 'High', 'Ingress', 'web', 'spec.tls[0].secretName', 'TLS secret "web-tls" is not in the bundle, no cert-manager issuer annotation creates it, and it is not declared external'),
      ]);
      expect(check('SEC-07', (b) => b.push(ingress({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' })))).toEqual([]);
    });

    it('SEC-04 wants the ServiceAccount to exist', () => {
      expect(check('SEC-04', (b) => remove(b, 'ServiceAccount', 'api'))).toEqual([
        at('SEC-04', 'High', 'Deployment', 'api', 'spec.template.spec.serviceAccountName', 'pod runs as ServiceAccount "api", which is not in the bundle, so its pods are never created'),
      ]);
      expect(check('SEC-04', (b) => remove(b, 'ServiceAccount', 'api'), { external: ['ServiceAccount/api'] })).toEqual([]);
    });
  });

  describe('selectors and ports', () => {
    const svc = (b: M[]) => get(b, 'Service', 'api');

    it('NET-04 wants a Service that selects pods and targets declared ports with valid names', () => {
      expect(check('NET-04', (b) => (svc(b).spec.selector = { app: 'api' }))).toEqual([
        at('NET-04', 'High', 'Service', 'api', 'spec.selector', 'Service selector app=api matches no pod template in namespace agents, so it has no endpoints'),
      ]);
      expect(
        check('NET-04', (b) => {
          svc(b).spec.ports = [
            { name: 'web', port: 80, targetPort: 'web' },
            { name: 'Admin_Port', port: 9000, targetPort: 9000 },
          ];
        }),
      ).toEqual([
        at('NET-04', 'High', 'Service', 'api', 'spec.ports[1].name', 'Service port name "Admin_Port" is not a valid IANA service name'),
        at('NET-04', 'High', 'Service', 'api', 'spec.ports[0].targetPort', 'Service port "web" targets port name "web"/TCP, which no selected pod declares (Deployment "api")'),
        at('NET-04', 'High', 'Service', 'api', 'spec.ports[1].targetPort', 'Service port "Admin_Port" targets port 9000/TCP, which no selected pod declares (Deployment "api")'),
      ]);
    });

    it('NET-04 and the portName props schema share one IANA service name rule', () => {
      const names = ['http', 'h2c', 'metrics-8080', 'a', '8080', 'http--alt', '-http', 'http-', 'Http', 'web_ui', 'abcdefghijklmno', 'abcdefghijklmnop', ''];
      const valid = names.filter((n) => isIanaServiceName(n));
      expect(valid).toEqual(['http', 'h2c', 'metrics-8080', 'a', 'abcdefghijklmno']);
      for (const n of names) expect([n, portName.safeParse(n).success]).toEqual([n, isIanaServiceName(n)]);
      const bad = found(
        invariants(
          (() => {
            const b = goodBundle();
            svc(b).spec.ports = names.map((name, i) => ({ name, port: 1000 + i, targetPort: 'http', protocol: 'TCP' }));
            return b;
          })(),
        ),
        'NET-04',
      ).filter((f) => f.path.endsWith('.name'));
      expect(bad.map((f) => f.path)).toEqual(names.flatMap((n, i) => (valid.includes(n) ? [] : [`spec.ports[${i}].name`])));
    });

    it('places objects without a namespace in default (NS-01), where they select nothing', () => {
      expect(check('NET-04', (b) => delete svc(b).metadata.namespace)).toEqual([
        at('NET-04', 'High', 'Service', 'api', 'spec.selector', 'Service selector app.kubernetes.io/name=api,app.kubernetes.io/instance=api matches no pod template in namespace default, so it has no endpoints', null),
      ]);
    });

    it('WKL-02 wants a headless governing Service for a StatefulSet', () => {
      const sts = (serviceName: string) => {
        const d = goodDeployment('cache');
        return { ...d, kind: 'StatefulSet', spec: { ...d.spec, serviceName, strategy: undefined } };
      };
      expect(check('WKL-02', (b) => b.push(sts('cache')))).toEqual([
        at('WKL-02', 'High', 'StatefulSet', 'cache', 'spec.serviceName', 'StatefulSet governing Service "cache" is not in the bundle, so pod DNS names do not resolve', NS),
      ]);
      expect(check('WKL-02', (b) => b.push(sts('api')))).toEqual([
        at('WKL-02', 'High', 'StatefulSet', 'cache', 'spec.serviceName', 'StatefulSet governing Service "api" is not headless, got clusterIP unset'),
      ]);
    });

    it('PRB-01 and PRB-02 want probes on declared ports', () => {
      const findings = found(
        invariants(
          (() => {
            const b = goodBundle();
            ctr(b).livenessProbe.httpGet.port = 'health';
            ctr(b).readinessProbe = { tcpSocket: { port: 9090 }, timeoutSeconds: 1 };
            return b;
          })(),
        ),
      );
      expect(findings.filter((f) => f.checkId.startsWith('PRB'))).toEqual([
        at('PRB-01', 'High', 'Deployment', 'api', `${C}.livenessProbe.httpGet.port`, 'container "api" livenessProbe checks port name "health", which the container does not declare'),
        at('PRB-02', 'High', 'Deployment', 'api', `${C}.readinessProbe.tcpSocket.port`, 'container "api" readinessProbe checks port 9090, which the container does not declare'),
      ]);
    });

    it('NET-06 wants Ingress and HTTPRoute backends that exist with the port (D-SRK-13)', () => {
      const ingress = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', namespace: NS, annotations: { 'cert-manager.io/cluster-issuer': 'le' } },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['a.example.com'], secretName: 'web-tls' }],
          rules: [
            {
              host: 'a.example.com',
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
                  { path: '/admin', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 9000 } } } },
                  { path: '/api', pathType: 'Prefix', backend: { service: { name: 'sark', port: { number: 8000 } } } },
                ],
              },
            },
          ],
        },
      };
      expect(check('NET-06', (b) => b.push(ingress))).toEqual([
        at('NET-06', 'High', 'Ingress', 'web', 'spec.rules[0].http.paths[1].backend.service.port', 'Ingress routes /admin on a.example.com to port 9000 of Service "api", which has ports http'),
        at('NET-06', 'High', 'Ingress', 'web', 'spec.rules[0].http.paths[2].backend.service.name', 'Ingress routes /api on a.example.com to Service "sark", which is not in namespace agents'),
      ]);
      const route = (ns?: string) => ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'edge' },
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'api', ...(ns ? { namespace: ns } : {}), port: 80 }] }] },
      });
      expect(check('NET-06', (b) => b.push(route(NS)))).toEqual([
        at('NET-06', 'High', 'HTTPRoute', 'web', 'spec.rules[0].backendRefs[0].namespace', 'HTTPRoute rule 0 routes to Service "api" in namespace agents with no ReferenceGrant there allowing it', 'edge'),
      ]);
      expect(
        check('NET-06', (b) =>
          b.push(route(NS), {
            apiVersion: 'gateway.networking.k8s.io/v1beta1',
            kind: 'ReferenceGrant',
            metadata: { name: 'edge-routes', namespace: NS },
            spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }], to: [{ group: '', kind: 'Service' }] },
          }),
        ),
      ).toEqual([]);
    });

    it('NET-10 wants a ServiceMonitor that selects a Service port by name and that a Prometheus selects', () => {
      const sm = (port: string, selector: M, smLabels: Record<string, string> = { release: 'kps' }) => ({
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'api', namespace: NS, labels: smLabels },
        spec: { selector: { matchLabels: selector }, endpoints: [{ port, path: '/metrics' }] },
      });
      expect(check('NET-10', (b) => b.push(sm('http', labels)))).toEqual([]);
      expect(check('NET-10', (b) => b.push(sm('metrics', { app: 'sark' }, {})))).toEqual([
        at('NET-10', 'Medium', 'ServiceMonitor', 'api', 'spec.selector', 'ServiceMonitor selector app=sark matches no Service in namespace agents, so nothing is scraped'),
        at('NET-10', 'Medium', 'ServiceMonitor', 'api', 'metadata.labels', 'ServiceMonitor has no release label, which kube-prometheus-stack selects on by default, so no Prometheus picks it up'),
      ]);
      expect(check('NET-10', (b) => b.push(sm('metrics', labels)))).toEqual([
        at('NET-10', 'Medium', 'ServiceMonitor', 'api', 'spec.endpoints[0].port', 'ServiceMonitor endpoint port "metrics" is not a port name of the selected Services (api: http)'),
      ]);
      const prometheus = { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'monitoring' }, spec: { serviceMonitorSelector: { matchLabels: { team: 'agents' } }, serviceMonitorNamespaceSelector: {} } };
      expect(check('NET-10', (b) => b.push(prometheus, sm('http', labels)))).toEqual([
        at('NET-10', 'Medium', 'ServiceMonitor', 'api', 'metadata.labels', 'no Prometheus in the bundle selects this ServiceMonitor (serviceMonitorSelector and namespace selector)'),
      ]);
      expect(check('NET-10', (b) => b.push(prometheus, sm('http', labels, { team: 'agents' })))).toEqual([]);
    });
  });

  describe('scaling and disruption', () => {
    const hpa = (b: M[]) => get(b, 'HorizontalPodAutoscaler', 'api');
    const pdb = (b: M[]) => get(b, 'PodDisruptionBudget', 'api');

    it('AVL-08 wants the HPA target in the same namespace; AVL-09 no static replicas under it', () => {
      expect(check('AVL-08', (b) => (hpa(b).spec.scaleTargetRef.name = 'sark'))).toEqual([
        at('AVL-08', 'High', 'HorizontalPodAutoscaler', 'api', 'spec.scaleTargetRef', 'HorizontalPodAutoscaler scales Deployment "sark", which is not in namespace agents'),
      ]);
      expect(check('AVL-08', (b) => (hpa(b).spec.scaleTargetRef.apiVersion = 'apps.example.com/v1'))).toHaveLength(1);
      expect(check('AVL-09', (b) => (dep(b).spec.replicas = 3))).toEqual([
        at('AVL-09', 'Medium', 'Deployment', 'api', 'spec.replicas', 'Deployment sets replicas although HorizontalPodAutoscaler "api" scales it, so every apply resets the count, got replicas 3'),
      ]);
    });

    it('AVL-04 wants a PDB that selects pods, for every multi-replica workload', () => {
      const findings = (() => {
        const b = goodBundle();
        pdb(b).spec.selector.matchLabels = { app: 'api' };
        return found(invariants(b), 'AVL-04');
      })();
      expect(findings).toEqual([
        at('AVL-04', 'High', 'PodDisruptionBudget', 'api', 'spec.selector', 'PodDisruptionBudget selector app=api matches no pod template in namespace agents, so it protects nothing'),
        at('AVL-04', 'High', 'Deployment', 'api', 'spec.template.metadata.labels', 'Deployment runs up to 4 replicas and no PodDisruptionBudget selects its pods, so a drain may evict them all at once'),
      ]);
    });

    it('AVL-05 and AVL-06 want an eviction allowed at the HPA minimum, and one budget per workload', () => {
      expect(
        found(
          invariants(
            (() => {
              const b = goodBundle();
              delete pdb(b).spec.maxUnavailable;
              pdb(b).spec.minAvailable = 2;
              b.push({ ...pdb(b), metadata: { name: 'api-extra', namespace: NS }, spec: { ...pdb(b).spec, minAvailable: '50%' } });
              return b;
            })(),
          ),
        ).filter((f) => f.checkId === 'AVL-05' || f.checkId === 'AVL-06'),
      ).toEqual([
        at('AVL-05', 'High', 'PodDisruptionBudget', 'api', 'spec.minAvailable', 'PodDisruptionBudget allows no eviction of Deployment "api" at its HPA minimum of 2, so node drains hang, got minAvailable 2'),
        at('AVL-06', 'Medium', 'PodDisruptionBudget', 'api', 'spec.minAvailable', 'PodDisruptionBudget minAvailable is not below HorizontalPodAutoscaler "api" minReplicas 2, got minAvailable 2'),
        at(
          'AVL-05',
          'High',
          'PodDisruptionBudget',
          'api-extra',
          'spec.selector',
          'pods of Deployment "api" are also selected by PodDisruptionBudget "api", and the eviction API refuses pods with more than one budget',
        ),
      ]);
    });
  });

  describe('network', () => {
    const netpol = (b: M[], name: string) => get(b, 'NetworkPolicy', name);

    it('NET-03 wants a policy to select pods ({} is exempt)', () => {
      expect(check('NET-03', (b) => (netpol(b, 'api').spec.podSelector = { matchLabels: { app: 'api' } }))).toEqual([
        at('NET-03', 'High', 'NetworkPolicy', 'api', 'spec.podSelector', 'NetworkPolicy podSelector app=api selects no pod template in namespace agents'),
      ]);
      expect(check('NET-03', (b) => (get(b, 'Deployment', 'api').metadata.namespace = 'other'))).toEqual([
        at('NET-03', 'High', 'NetworkPolicy', 'api', 'spec.podSelector', 'NetworkPolicy podSelector app.kubernetes.io/name=api,app.kubernetes.io/instance=api selects no pod template in namespace agents'),
      ]);
    });

    it('NET-03 rejects ORed namespace and pod peers and namespace labels nothing sets (D-SKR-04, D-X-02)', () => {
      expect(
        check('NET-03', (b) => {
          netpol(b, 'api').spec.ingress[0].from = [{ namespaceSelector: { matchLabels: { name: 'ingress-nginx' } } }, { podSelector: { matchLabels: { app: 'nginx-ingress' } } }];
        }),
      ).toEqual([
        at(
          'NET-03',
          'High',
          'NetworkPolicy',
          'api',
          'spec.ingress[0].from',
          'peers from[0] (namespaceSelector name=ingress-nginx) and from[1] (podSelector app=nginx-ingress) are ORed, so the rule admits every pod of those namespaces and any pod of agents with those labels',
        ),
        at(
          'NET-03',
          'High',
          'NetworkPolicy',
          'api',
          'spec.ingress[0].from[0].namespaceSelector',
          'namespaceSelector name=ingress-nginx matches no namespace: only kubernetes.io/metadata.name is set automatically, and no Namespace in the bundle carries these labels',
        ),
        at(
          'NET-03',
          'High',
          'NetworkPolicy',
          'api',
          'spec.ingress[0].from[1].podSelector',
          "podSelector app=nginx-ingress matches no pod template in namespace agents (a podSelector alone selects pods of the policy's namespace)",
        ),
      ]);
      // A hand-set label resolves when a Namespace in the bundle carries it.
      expect(
        check('NET-03', (b) => {
          b.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx', labels: { name: 'ingress-nginx' } } });
          netpol(b, 'api').spec.ingress[0].from = [{ namespaceSelector: { matchLabels: { name: 'ingress-nginx' } }, podSelector: { matchLabels: { app: 'x' } } }];
        }),
      ).toEqual([]);
    });

    it('NET-03 resolves podSelector peers against pods declared external', () => {
      const fromCaller = (b: M[]) => (netpol(b, 'api').spec.ingress[0].from = [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'billing' } } }]);
      expect(check('NET-03', fromCaller)).toHaveLength(1);
      expect(check('NET-03', fromCaller, { external: ['Pod/billing'] })).toEqual([]);
      expect(
        check('NET-03', (b) => {
          fromCaller(b);
          get(b, 'Namespace', NS).metadata.annotations = { [EXTERNAL_REFS_ANNOTATION]: 'Pod/billing' };
        }),
      ).toEqual([]);
      expect(check('NET-03', fromCaller, { external: ['Pod/other/billing'] })).toHaveLength(1);
    });

    it('NET-03 resolves podSelector peers against pods declared by depends-on', () => {
      const egressToDb = (b: M[]) => (netpol(b, 'api').spec.egress = [{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }]);
      expect(check('NET-03', egressToDb)).toHaveLength(1);
      expect(
        check('NET-03', (b) => {
          egressToDb(b);
          dep(b).spec.template.metadata.annotations[DEPENDS_ON_ANNOTATION] = `${NS}/postgres:5432`;
        }),
      ).toEqual([]);
    });

    it('NET-02 wants namespace default-deny for ingress and egress', () => {
      expect(check('NET-02', (b) => (netpol(b, 'default-deny').spec.policyTypes = ['Egress']))).toEqual([
        at('NET-02', 'High', 'Namespace', NS, 'metadata.name', 'namespace agents has pods but no default-deny NetworkPolicy for ingress, so pods no policy selects are open', null),
      ]);
      // Any policy selecting every pod isolates them: allow-dns ({} and Egress) is the egress default-deny here.
      expect(check('NET-02', (b) => (netpol(b, 'default-deny').spec.policyTypes = ['Ingress']))).toEqual([]);
    });

    it('NET-01/NET-02: without policyTypes, `egress: []` does not isolate egress (the API defaults to Egress only for non-empty egress)', () => {
      // default-deny written as {podSelector: {}, ingress: [], egress: []} with no policyTypes; no
      // other policy isolates egress (allow-dns removed, api's own policy left to the defaulting too).
      const implicit = (b: M[]) => {
        remove(b, 'NetworkPolicy', 'allow-dns');
        netpol(b, 'default-deny').spec = { podSelector: {}, ingress: [], egress: [] };
        delete netpol(b, 'api').spec.policyTypes;
      };
      const bundle = goodBundle();
      implicit(bundle);
      const findings = found(invariants(bundle));
      expect(findings.filter((f) => f.checkId === 'NET-01' || f.checkId === 'NET-02')).toEqual([
        at('NET-02', 'High', 'Namespace', NS, 'metadata.name', 'namespace agents has pods but no default-deny NetworkPolicy for egress, so pods no policy selects are open', null),
        at('NET-01', 'High', 'Deployment', 'api', 'spec.template.metadata.labels', 'pods are not isolated for egress: no NetworkPolicy with that policy type selects them, so they can open any connection'),
      ]);
      // The same policy with policyTypes [Ingress, Egress] is the egress default-deny: NET-01 and the
      // namespace default-deny are satisfied, and it is now egress-isolating, so it needs DNS.
      const explicit = goodBundle();
      implicit(explicit);
      netpol(explicit, 'default-deny').spec.policyTypes = ['Ingress', 'Egress'];
      expect(found(invariants(explicit)).filter((f) => f.checkId === 'NET-01' || f.checkId === 'NET-02')).toEqual([
        at('NET-02', 'High', 'NetworkPolicy', 'default-deny', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on UDP or TCP 53, so name lookups fail'),
      ]);
      // A non-empty egress list without policyTypes does isolate egress.
      expect(
        check('NET-01', (b) => {
          implicit(b);
          netpol(b, 'default-deny').spec.egress = [{ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }];
        }),
      ).toEqual([]);
    });

    it('NET-02 wants DNS egress on UDP and TCP 53 to kube-dns, with the selectors ANDed (D-BSS-01)', () => {
      expect(check('NET-02', (b) => remove(b, 'NetworkPolicy', 'allow-dns'))).toEqual([
        at('NET-02', 'High', 'NetworkPolicy', 'default-deny', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on UDP or TCP 53, so name lookups fail'),
        at('NET-02', 'High', 'NetworkPolicy', 'api', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on UDP or TCP 53, so name lookups fail'),
      ]);
      expect(check('NET-02', (b) => netpol(b, 'allow-dns').spec.egress[0].ports.pop())).toEqual([
        at('NET-02', 'High', 'NetworkPolicy', 'default-deny', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on TCP 53, so large responses (truncated UDP) fail'),
        at('NET-02', 'High', 'NetworkPolicy', 'allow-dns', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on TCP 53, so large responses (truncated UDP) fail'),
        at('NET-02', 'High', 'NetworkPolicy', 'api', 'spec.egress', 'NetworkPolicy isolates egress but no policy allows DNS to kube-dns in kube-system on TCP 53, so large responses (truncated UDP) fail'),
      ]);
      // The Skreaver shape: the two selectors as separate peers reach neither kube-dns pods nor kube-system.
      const ored = found(
        invariants(
          (() => {
            const b = goodBundle();
            netpol(b, 'allow-dns').spec.egress[0].to = [{ namespaceSelector: { matchLabels: { name: 'kube-system' } } }, { podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }];
            return b;
          })(),
        ),
        'NET-02',
      );
      expect(ored.map((f) => f.name)).toEqual(['default-deny', 'allow-dns', 'api']);
      // A resolver chosen on purpose counts: node-local DNS by CIDR.
      expect(check('NET-02', (b) => (netpol(b, 'allow-dns').spec.egress[0].to = [{ ipBlock: { cidr: '169.254.20.10/32' } }]))).toEqual([]);
      // DNS reached through a named port works too.
      expect(check('NET-02', (b) => (netpol(b, 'allow-dns').spec.egress[0].ports = [{ protocol: 'UDP', port: 'dns' }, { protocol: 'TCP', port: 'dns-tcp' }]))).toEqual([]);
    });

    it('NET-01 wants every pod isolated for ingress and egress', () => {
      expect(
        check('NET-01', (b) => {
          netpol(b, 'default-deny').spec.policyTypes = ['Ingress'];
          remove(b, 'NetworkPolicy', 'allow-dns');
          netpol(b, 'api').spec.policyTypes = ['Ingress'];
        }),
      ).toEqual([
        at('NET-01', 'High', 'Deployment', 'api', 'spec.template.metadata.labels', 'pods are not isolated for egress: no NetworkPolicy with that policy type selects them, so they can open any connection'),
      ]);
    });

    describe('declared dependencies (NET-02)', () => {
      const dependsOn = (b: M[], value: string) => (dep(b).spec.template.metadata.annotations[DEPENDS_ON_ANNOTATION] = value);

      it('wants an egress rule on the source and an ingress rule on the destination', () => {
        expect(
          check('NET-02', (b) => {
            addApp(b, 'postgres', 'data');
            dependsOn(b, 'data/postgres:8080');
          }),
        ).toEqual([
          at(
            'NET-02',
            'High',
            'Deployment',
            'api',
            'spec.template.metadata.annotations["cdk8s-agent-platform.dev/depends-on"]',
            'egress to data/postgres:8080 (declared in depends-on) is not allowed by the NetworkPolicies selecting these pods ("default-deny", "allow-dns", "api")',
          ),
          at(
            'NET-02',
            'High',
            'Deployment',
            'postgres',
            'spec.template.metadata.labels',
            'ingress from agents/api on 8080/TCP (depends-on of Deployment "api") is not allowed by the NetworkPolicies selecting these pods ("default-deny", "postgres")',
            'data',
          ),
        ]);
      });

      it('accepts the edge when both ends allow it, with selectors ANDed', () => {
        expect(
          check('NET-02', (b) => {
            addApp(b, 'postgres', 'data', {
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } },
              policyTypes: ['Ingress', 'Egress'],
              ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } }, podSelector: { matchLabels: labels } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
            });
            dependsOn(b, 'data/postgres:http');
            netpol(b, 'api').spec.egress = [
              { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
            ];
          }),
        ).toEqual([]);
      });

      it('checks the source alone when the destination is outside the bundle', () => {
        expect(check('NET-02', (b) => dependsOn(b, 'payments/billing:443'))).toHaveLength(1);
        expect(
          check('NET-02', (b) => {
            dependsOn(b, 'payments/billing:443');
            netpol(b, 'api').spec.egress = [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } } }], ports: [{ protocol: 'TCP', port: 443 }] }];
          }),
        ).toEqual([]);
      });

      it('rejects entries that do not parse', () => {
        expect(check('NET-02', (b) => dependsOn(b, 'postgres'))).toEqual([
          at('NET-02', 'High', 'Deployment', 'api', 'spec.template.metadata.annotations["cdk8s-agent-platform.dev/depends-on"]', 'depends-on entry "postgres" is not <namespace>/<app>:<port>'),
        ]);
      });

      it('derives the ingress controller edge from Ingress backends and ingress-from', () => {
        const ingress = (port: M) => ({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'web', namespace: NS, annotations: { [INGRESS_FROM_ANNOTATION]: 'ingress-nginx', 'cert-manager.io/cluster-issuer': 'le' } },
          spec: { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'], secretName: 'web-tls' }], rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port } } }] } }] },
        });
        expect(check('NET-02', (b) => b.push(ingress({ name: 'http' })))).toEqual([]);
        expect(
          check('NET-02', (b) => {
            b.push(ingress({ name: 'http' }));
            netpol(b, 'api').spec.ingress[0].ports = [{ protocol: 'TCP', port: 9090 }];
          }),
        ).toEqual([
          at(
            'NET-02',
            'High',
            'Deployment',
            'api',
            'spec.template.metadata.labels',
            'ingress from the ingress controller in ingress-nginx on "http"/TCP (Ingress "web" routes / on a.example.com to Service "api") is not allowed by the NetworkPolicies selecting these pods ("default-deny", "api")',
          ),
        ]);
      });

      it('derives the Prometheus edge from ServiceMonitors', () => {
        const sm = {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'api', namespace: NS, labels: { release: 'kps' }, annotations: { [INGRESS_FROM_ANNOTATION]: 'monitoring/prometheus' } },
          spec: { selector: { matchLabels: labels }, endpoints: [{ port: 'http' }] },
        };
        expect(check('NET-02', (b) => b.push(sm))).toEqual([
          at(
            'NET-02',
            'High',
            'Deployment',
            'api',
            'spec.template.metadata.labels',
            'ingress from Prometheus in monitoring on "http"/TCP (ServiceMonitor "api" scrapes port "http" of Service "api") is not allowed by the NetworkPolicies selecting these pods ("default-deny", "api")',
          ),
        ]);
        expect(
          check('NET-02', (b) => {
            b.push(sm);
            netpol(b, 'api').spec.ingress.push({
              from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
              ports: [{ protocol: 'TCP', port: 8080 }],
            });
          }),
        ).toEqual([]);
      });
    });
  });

  describe('capacity (RES-04)', () => {
    const lr = (b: M[]) => get(b, 'LimitRange', 'limits');
    const quota = (b: M[]) => get(b, 'ResourceQuota', 'quota');

    it('wants explicit LimitRange defaults', () => {
      expect(check('RES-04', (b) => (lr(b).spec.limits = [{ type: 'Container', max: { cpu: '4', memory: '4Gi' }, min: { cpu: '100m', memory: '128Mi' } }]))).toEqual([
        at(
          'RES-04',
          'Medium',
          'LimitRange',
          'limits',
          'spec.limits[0].default',
          'LimitRange leaves default and defaultRequest to API defaulting for cpu, memory, so a container without resources gets cpu request 4 and limit 4, memory request 4Gi and limit 4Gi',
        ),
      ]);
    });

    it('wants a quota that admits HPA max plus surge plus Jobs, LimitRange defaults applied (D-SKR-05)', () => {
      const findings = check('RES-04', (b) => {
        lr(b).spec.limits = [{ type: 'Container', default: { cpu: '4', memory: '4Gi' }, defaultRequest: { cpu: '4', memory: '4Gi' } }];
        quota(b).spec.hard = { 'requests.cpu': '5', 'limits.cpu': '6', pods: '5' };
        get(b, 'HorizontalPodAutoscaler', 'api').spec.maxReplicas = 8;
        b.push({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'backup', namespace: NS },
          spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'backup', image: 'postgres:16' }] } } } } },
        });
      });
      expect(findings).toEqual([
        at(
          'RES-04',
          'High',
          'ResourceQuota',
          'quota',
          'spec.hard["requests.cpu"]',
          'quota requests.cpu 5 cannot admit the namespace at peak, which needs 6250m: Deployment "api" 9 x 250m (8 HPA maxReplicas + 1 surge), CronJob "backup" 1 x 4 (one run, LimitRange default)',
        ),
        at(
          'RES-04',
          'High',
          'ResourceQuota',
          'quota',
          'spec.hard["limits.cpu"]',
          'quota limits.cpu 6 cannot admit the namespace at peak, which needs 8500m: Deployment "api" 9 x 500m (8 HPA maxReplicas + 1 surge), CronJob "backup" 1 x 4 (one run, LimitRange default)',
        ),
        at('RES-04', 'High', 'ResourceQuota', 'quota', 'spec.hard.pods', 'quota pods 5 cannot admit the namespace at peak, which needs 10: Deployment "api" 9 x 1 (8 HPA maxReplicas + 1 surge), CronJob "backup" 1 x 1 (one run)'),
        at(
          'RES-04',
          'High',
          'HorizontalPodAutoscaler',
          'api',
          'spec.maxReplicas',
          // requests.cpu and pods both admit 4; the first key in the quota is named.
          'maxReplicas 8 is unreachable: quota "quota" requests.cpu 5 admits at most 4 pods of Deployment "api" (250m each) next to 4 for the rest of the namespace, and scaling to 8 with a 1-pod rollout surge needs 9',
        ),
      ]);
    });

    it('rejects containers the LimitRange or the quota would refuse', () => {
      expect(
        check('RES-04', (b) => {
          ctr(b).resources.limits.cpu = '6';
          delete ctr(b).resources.limits.memory;
          lr(b).spec.limits = [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' }, max: { cpu: '4' } }];
          quota(b).spec.hard = { 'limits.memory': '16Gi' };
        }),
      ).toEqual([
        at('RES-04', 'High', 'Deployment', 'api', `${C}.resources.limits.cpu`, 'container "api" limits cpu to 6, above the maximum 4 of LimitRange "limits", so its pods are rejected'),
        at('RES-04', 'High', 'Deployment', 'api', `${C}.resources.limits.memory`, 'container "api" sets no memory limit and no LimitRange default applies, so quota "quota" (limits.memory) rejects its pods'),
      ]);
    });

    it('wants a quota and a LimitRange in every namespace with pods', () => {
      expect(
        check('RES-04', (b) => {
          remove(b, 'ResourceQuota', 'quota');
          remove(b, 'LimitRange', 'limits');
        }),
      ).toEqual([at('RES-04', 'Medium', 'Namespace', NS, 'metadata.name', 'namespace agents has pods but no ResourceQuota and no LimitRange, so nothing bounds what its pods may take', null)]);
    });

    it('names a quota that cannot admit even one pod of a workload (High: quota admission rejects every such pod)', () => {
      const findings = check('RES-04', (b) => (quota(b).spec.hard = { 'limits.memory': '256Mi' }));
      expect(findings.filter((f) => f.kind === 'ResourceQuota')).toEqual([
        at(
          'RES-04',
          'High',
          'ResourceQuota',
          'quota',
          'spec.hard["limits.memory"]',
          'quota limits.memory 256Mi cannot admit one pod of Deployment "api", which needs 512Mi, so every such pod is rejected',
        ),
      ]);
    });

    it('charges only pods in the quota scope, and StatefulSet claims per replica', () => {
      expect(check('RES-04', (b) => (quota(b).spec = { hard: { pods: '1' }, scopes: ['BestEffort'] }))).toEqual([]);
      expect(
        check('RES-04', (b) => {
          quota(b).spec.hard = { persistentvolumeclaims: '2', 'requests.storage': '10Gi' };
          const d = goodDeployment('cache');
          b.push({ ...d, kind: 'StatefulSet', spec: { ...d.spec, replicas: 3, serviceName: 'cache', strategy: undefined, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }] } });
        }),
      ).toEqual([
        at('RES-04', 'High', 'ResourceQuota', 'quota', 'spec.hard.persistentvolumeclaims', 'quota persistentvolumeclaims 2 cannot admit the namespace at peak, which needs 3: StatefulSet "cache" 3 x 1 (3 replicas)'),
        at('RES-04', 'High', 'ResourceQuota', 'quota', 'spec.hard["requests.storage"]', 'quota requests.storage 10Gi cannot admit the namespace at peak, which needs 15Gi: StatefulSet "cache" 3 x 5Gi (3 replicas)'),
      ]);
    });
  });

  it('applies waiver annotations to invariant findings', () => {
    const b = goodBundle();
    get(b, 'HorizontalPodAutoscaler', 'api').spec.scaleTargetRef.name = 'gone';
    get(b, 'HorizontalPodAutoscaler', 'api').metadata.annotations = { 'waivers.cdk8s-agent-platform.dev/AVL-08': 'target applied by another pipeline' };
    expect(found(invariants(b), 'AVL-08')).toEqual([
      {
        ...at('AVL-08', 'High', 'HorizontalPodAutoscaler', 'api', 'spec.scaleTargetRef', 'HorizontalPodAutoscaler scales Deployment "gone", which is not in namespace agents'),
        waived: { reason: 'target applied by another pipeline' },
      },
    ]);
  });

  it('never throws on malformed manifests', () => {
    const junk = [
      null,
      { kind: 'Service', metadata: { name: 's' }, spec: { selector: 'x', ports: [null, { targetPort: {} }] } },
      { kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, ingress: [{ from: [{}] }], egress: 'x' } },
      { kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'limits.cpu': 'lots' } } },
      { kind: 'Deployment', metadata: { name: 'd', annotations: { [DEPENDS_ON_ANNOTATION]: ',,' } }, spec: { template: { metadata: { labels: 'x' }, spec: { containers: [{ name: 'c', ports: 'x' }] } } } },
      { kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: 'x' } },
    ];
    expect(() => checkInvariants(junk as never, {})).not.toThrow();
  });
});
