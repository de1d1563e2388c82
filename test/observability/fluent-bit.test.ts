import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FLUENT_BIT_EXCEPTION_REASON, FluentBit, verify, type FluentBitProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const base: FluentBitProps = {
  namespaces: ['agents'],
  apiServer: { cidrs: ['10.0.0.1/32'] },
  output: {
    type: 'elasticsearch',
    host: 'elasticsearch.elastic.svc',
    index: 'agent-logs',
    egress: { pods: { namespace: 'elastic', podLabels: { 'app.kubernetes.io/name': 'elasticsearch' } }, ports: [{ port: 9200 }] },
  },
};

function build(props: Partial<FluentBitProps> = {}, after?: (f: FluentBit) => void): Obj[] {
  return synth(
    (chart) => {
      const f = new FluentBit(chart, 'Logging', { ...base, ...props });
      after?.(f);
    },
    // The output's credentials and CA come from outside the bundle.
    { external: ['Secret/logging/es-creds'] },
  );
}

function config(objs: Obj[]): Obj {
  return parse(one(objs, 'ConfigMap', 'fluent-bit-config').data['fluent-bit.yaml']) as Obj;
}

describe('FluentBit', () => {
  it('synthesizes the log shipper (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  it('lives in its own namespace labelled privileged, with the reason recorded', () => {
    const ns = one(build(), 'Namespace');
    expect(ns.metadata.name).toBe('logging');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.labels['pod-security.kubernetes.io/audit']).toBe('restricted');
    expect(ns.metadata.annotations).toEqual({ 'cdk8s-agent-platform.dev/pod-security-exception': FLUENT_BIT_EXCEPTION_REASON });
  });

  it('mounts the host logs read-only and keeps every other restricted control', () => {
    const ds = one(build(), 'DaemonSet');
    const pod = ds.spec.template.spec;
    expect(pod.volumes[0]).toEqual({ name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } });
    expect(pod.volumes.filter((v: Obj) => v.hostPath)).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.volumeMounts[0]).toEqual({ name: 'varlog', mountPath: '/var/log', readOnly: true });
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      supplementalGroups: [0],
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostNetwork).toBeUndefined();
    expect(c.ports).toEqual([{ name: 'http', containerPort: 2020, protocol: 'TCP' }]);
  });

  it('waives exactly the hostPath check, with the reason, and nothing else blocks', () => {
    const objs = build();
    expect(one(objs, 'DaemonSet').metadata.annotations).toEqual({ 'waivers.cdk8s-agent-platform.dev/PSS-05': FLUENT_BIT_EXCEPTION_REASON });
    const report = verify(objs);
    expect(report.blocking).toEqual([]);
    expect(report.waived.map((f) => `${f.checkId} ${f.kind}/${f.name}`)).toEqual(['PSS-18 Namespace/logging', 'PSS-05 DaemonSet/fluent-bit']);
  });

  it('limits its ClusterRole to get, list and watch on pods and namespaces', () => {
    const objs = build();
    expect(one(objs, 'ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
    expect(one(objs, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'fluent-bit', namespace: 'logging' }]);
    expect(one(objs, 'DaemonSet').spec.template.metadata.labels['cdk8s-agent-platform.dev/api-access']).toBe('true');
    expect(one(objs, 'NetworkPolicy', 'allow-api-server').spec.egress[0].to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
  });

  it('sizes the namespace quota for one pod per node', () => {
    const quota = one(build({ maxNodes: 40 }), 'ResourceQuota').spec.hard;
    expect(quota).toMatchObject({ pods: '40', 'requests.cpu': '2', 'limits.memory': '10Gi' });
  });

  describe('config', () => {
    it('tails the listed namespaces with the CRI and Docker parsers, then enriches with the Kubernetes filter (D-SKR-15)', () => {
      const cfg = config(build({}, (f) => f.shipNamespace('tools')));
      const tail = cfg.pipeline.inputs[0];
      expect(tail).toMatchObject({ name: 'tail', tag: 'kube.*', path: '/var/log/containers/*_agents_*.log,/var/log/containers/*_tools_*.log', 'multiline.parser': 'docker, cri', db: '/fluent-bit/state/tail.db' });
      const filter = cfg.pipeline.filters[0];
      expect(filter).toMatchObject({ name: 'kubernetes', match: 'kube.*', kube_url: 'https://kubernetes.default.svc:443', kube_tag_prefix: 'kube.var.log.containers.', 'k8s-logging.exclude': 'off' });
      // Every stage matches what the input tags.
      for (const stage of [...cfg.pipeline.filters, ...cfg.pipeline.outputs]) expect(stage.match).toBe('kube.*');
      expect(cfg.service).toMatchObject({ http_server: 'on', http_port: 2020, health_check: 'on' });
      expect(one(build(), 'DaemonSet').spec.template.spec.containers[0].livenessProbe.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    });

    it('writes to Elasticsearch 8 without mapping types, over verified TLS, with credentials from a Secret', () => {
      const objs = build({
        output: { ...base.output, credentials: { user: { name: 'es-creds', key: 'user' }, password: { name: 'es-creds', key: 'password' } }, tls: { caSecret: { name: 'es-creds', key: 'ca.crt' } } } as FluentBitProps['output'],
      });
      const out = config(objs).pipeline.outputs[0];
      expect(out).toMatchObject({
        name: 'es',
        host: 'elasticsearch.elastic.svc',
        port: 9200,
        index: 'agent-logs',
        suppress_type_name: 'on',
        tls: 'on',
        'tls.verify': 'on',
        'tls.ca_file': '/fluent-bit/etc/output-ca/ca.crt',
        http_user: '${LOG_OUTPUT_USER}',
        http_passwd: '${LOG_OUTPUT_PASSWORD}',
      });
      expect(out).not.toHaveProperty('type');
      const env = one(objs, 'DaemonSet').spec.template.spec.containers[0].env;
      expect(env).toEqual([
        { name: 'LOG_OUTPUT_USER', valueFrom: { secretKeyRef: { name: 'es-creds', key: 'user' } } },
        { name: 'LOG_OUTPUT_PASSWORD', valueFrom: { secretKeyRef: { name: 'es-creds', key: 'password' } } },
      ]);
    });

    it('writes to Loki', () => {
      const out = config(build({ output: { type: 'loki', host: 'loki-gateway.loki.svc', tenantId: 'agents', egress: { cidr: '10.20.0.0/16', ports: [{ port: 3100 }] } } })).pipeline.outputs[0];
      expect(out).toMatchObject({ name: 'loki', host: 'loki-gateway.loki.svc', port: 3100, tenant_id: 'agents', tls: 'on', 'tls.verify': 'on' });
    });

    it('rolls the pods when the config changes', () => {
      const a = one(build(), 'DaemonSet').spec.template.metadata.annotations['checksum/config'];
      const b = one(build({}, (f) => f.shipNamespace('tools')), 'DaemonSet').spec.template.metadata.annotations['checksum/config'];
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(b).not.toBe(a);
    });
  });

  it('reaches only the output, and admits only Prometheus on the metrics port', () => {
    const np = one(build(), 'NetworkPolicy', 'fluent-bit').spec;
    expect(np.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elastic' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'elasticsearch' } } }],
        ports: [{ port: 9200, protocol: 'TCP' }],
      },
    ]);
    expect(np.ingress[0].ports).toEqual([{ port: 2020, protocol: 'TCP' }]);
  });

  it('tolerates every taint by default, and renders the tolerations given', () => {
    const ds = (objs: Obj[]) => one(objs, 'DaemonSet').spec.template.spec;
    expect(ds(build()).tolerations).toEqual([{ operator: 'Exists' }]);
    const tolerations = [
      { key: 'dedicated', operator: 'Equal' as const, value: 'gpu', effect: 'NoSchedule' as const },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 300 },
    ];
    expect(ds(build({ tolerations })).tolerations).toEqual(tolerations);
  });

  describe('rejects', () => {
    it('a host with a scheme and an index with capitals', () => {
      expect(errorOf(() => build({ output: { ...base.output, host: 'https://es', index: 'Logs' } as FluentBitProps['output'] }))).toBe(
        [
          'invalid props for test/Logging:',
          "  test/Logging props.output.host: is not a host name, got \"https://es\"; give a DNS name like 'elasticsearch.logging.svc', without scheme or port",
          "  test/Logging props.output.index: is not an Elasticsearch index name, got \"Logs\"; use lowercase letters, digits, '-', '_' and '.'",
        ].join('\n'),
      );
    });

    it('running as root', () => {
      expect(errorOf(() => build({ securityContext: { runAsUser: 0 } }))).toBe(
        'invalid props for test/Logging:\n  test/Logging props.securityContext.runAsUser: must not be root (0), got 0; use a non-zero UID; the log files are read through logFileGroup',
      );
    });

    it('a namespace to ship that is not a namespace name', () => {
      expect(errorOf(() => build({}, (f) => f.shipNamespace('Agents')))).toBe(
        "invalid props for test/Logging:\n  test/Logging shipNamespace(): is not a DNS-1123 label, got \"Agents\"; use lowercase letters, digits and '-', starting and ending with a letter or digit",
      );
    });

    it.each([
      ['a toleration without key that is not Exists', [{ effect: 'NoSchedule' as const }], `test/Logging props.tolerations[0].operator: must be Exists when no key is given, got "Equal"; set operator: 'Exists' (tolerates every taint) or give a key`],
      ['a value with operator Exists', [{ key: 'k', operator: 'Exists' as const, value: 'v' }], `test/Logging props.tolerations[0].value: must be empty with operator Exists, got "v"; remove the value, or use operator: 'Equal'`],
      ['tolerationSeconds without NoExecute', [{ key: 'k', value: 'v', effect: 'NoSchedule' as const, tolerationSeconds: 60 }], `test/Logging props.tolerations[0].tolerationSeconds: only applies to the NoExecute effect, got 60; set effect: 'NoExecute' or remove tolerationSeconds`],
    ])('%s (the shared toleration schema)', (_, tolerations, message) => {
      expect(errorOf(() => build({ tolerations }))).toBe(`invalid props for test/Logging:\n  ${message}`);
    });

    it('shipping no namespace at all, at synth', () => {
      expect(errorOf(() => build({ namespaces: [] }))).toContain('test/Logging: no namespace is shipped; list props.namespaces or call shipNamespace()');
    });
  });
});
