import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { formatBytes, formatCpu, parseQuantity } from '../core/quantity.js';
import { cidr, dnsLabel, dnsSubdomain, labelMap, portNumber, workloadName } from '../core/schemas.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import {
  configChecksum,
  configMapVolume,
  createConfigMap,
  createDaemonSet,
  createNetworkPolicy,
  createServiceAccount,
  dependencyEdges,
  dependsOnAnnotation,
  envFromSecret,
  hardenedContainer,
  ingressRule,
  parseConstructProps,
  podTemplate,
  renderProbe,
  restrictedPodSpec,
  scratchVolume,
  secretVolume,
  setPrimary,
  VolumeSet,
  waiverAnnotations,
  workloadIdentity,
  type ResourceSet,
} from '../kit/index.js';
import { AgentNamespace, API_ACCESS_LABEL } from '../namespace/agent-namespace.js';
import { DEFAULT_MONITORING_SOURCE, egressRuleSchema, podPeerSchema, renderEgressRule, type EgressRuleOptions, type PodPeer } from '../network/peers.js';
import { resolveResources, resourcesSchema, tolerationSchema, type Resources, type TolerationOptions } from '../workload/container.js';
import { parseOptions } from './options.js';

/** The reason recorded on the `logging` namespace and the DaemonSet waivers. */
export const FLUENT_BIT_EXCEPTION_REASON =
  "Fluent Bit tails the node's container logs (/var/log) through a read-only hostPath, which Pod Security forbids below privileged; every other restricted control holds (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem). This is the project's only such exception (D-SKR-15).";

const secretKey = z.strictObject({
  /** Secret name, in the logging namespace. */
  name: dnsSubdomain,
  /** Key in the Secret. */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/),
});

const outputTls = z
  .strictObject({
    /** CA bundle (PEM) to verify the server, from a Secret in the logging namespace. @default - the image's system CAs */
    caSecret: secretKey.optional(),
  })
  .prefault({});

const outputHost = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: problem('is not a host name', "give a DNS name like 'elasticsearch.logging.svc', without scheme or port") });

/** Where the logs go. TLS is always verified. */
export const logOutputSchema = z.discriminatedUnion('type', [
  z.strictObject({
    /** Elasticsearch (or OpenSearch in its Elasticsearch-compatible mode), the Skreaver guide's. */
    type: z.literal('elasticsearch'),
    /** Host name. */
    host: outputHost,
    /** @default 9200 */
    port: portNumber.default(9200),
    /** Index. */
    index: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: problem('is not an Elasticsearch index name', "use lowercase letters, digits, '-', '_' and '.'") }),
    /** Basic-auth user and password, from Secrets (never inline). @default - no authentication */
    credentials: z.strictObject({ /** User name. */ user: secretKey, /** Password. */ password: secretKey }).optional(),
    /** TLS. @default - verified against the system CAs */
    tls: outputTls,
    /** Egress to the output, for the NetworkPolicy. */
    egress: egressRuleSchema,
  }),
  z.strictObject({
    /** Grafana Loki. */
    type: z.literal('loki'),
    /** Host name. */
    host: outputHost,
    /** @default 3100 */
    port: portNumber.default(3100),
    /** Tenant (`X-Scope-OrgID`). @default - none (single-tenant Loki) */
    tenantId: z.string().min(1).optional(),
    /** Basic-auth user and password, from Secrets. @default - no authentication */
    credentials: z.strictObject({ user: secretKey, password: secretKey }).optional(),
    /** TLS. @default - verified against the system CAs */
    tls: outputTls,
    /** Egress to the output, for the NetworkPolicy. */
    egress: egressRuleSchema,
  }),
]);

/** Props of {@link FluentBit}. */
export const FluentBitPropsSchema = z.strictObject({
  /** Name of the DaemonSet and related objects. @default 'fluent-bit' */
  name: workloadName.default('fluent-bit'),
  /** Namespace created for the log shipper, labelled Pod Security `privileged`. @default 'logging' */
  namespace: dnsLabel.default('logging'),
  /** Image. @default - `fluentBit` of DEFAULT_IMAGES (README "Default images") */
  image: imageReference.default(defaultImage('fluentBit')),
  /** Namespaces whose container logs are shipped ({@link FluentBit.shipNamespace} adds more). @default [] */
  namespaces: z.array(dnsLabel).default([]),
  /** Where the logs go. */
  output: logOutputSchema,
  /**
   * Kubernetes API server endpoint CIDRs (`kubectl get endpoints kubernetes -n default`):
   * the Kubernetes filter reads pod metadata from it.
   */
  apiServer: z.strictObject({
    /** Endpoint CIDRs. */
    cidrs: z.array(cidr).min(1),
    /**
     * The API server's endpoint port, which may differ from the
     * `kubernetes` Service's 443 that Fluent Bit connects to: NetworkPolicy
     * sees the connection after the Service's DNAT, so the egress rule must
     * allow the port the endpoints list: 6443 on kubeadm clusters, 443 on
     * most managed ones (`kubectl get endpoints kubernetes -n default` shows
     * it). A wrong port leaves the Kubernetes filter without pod metadata.
     * @default 443
     */
    port: portNumber.default(443),
  }),
  /**
   * UID the shipper runs as, and the group that may read the log files:
   * containerd and CRI-O write them `0640 root:root`, so the shipper joins
   * group 0 as a supplemental group instead of running as root.
   * @default { runAsUser: 10001, logFileGroup: 0 }
   */
  securityContext: z
    .strictObject({
      /** @default 10001 */
      runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID; the log files are read through logFileGroup') }).default(10001),
      /** GID owning the node's log files. @default 0 */
      logFileGroup: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /** Requests and limits. @default - requests 50m / 64Mi, limits 500m / 256Mi */
  resources: resourcesSchema.default({
    requests: { cpu: '50m', memory: '64Mi', ephemeralStorage: '64Mi' },
    limits: { cpu: '500m', memory: '256Mi', ephemeralStorage: '1Gi' },
  }),
  /** Most nodes the cluster runs: the namespace quota admits one shipper pod per node. @default 100 */
  maxNodes: z.number().int().min(1).default(100),
  /** Tolerations, so every node's logs are shipped. @default - tolerate every taint */
  tolerations: z.array(tolerationSchema).default([{ operator: 'Exists' }]),
  /** Prometheus pods that scrape Fluent Bit's metrics (port 2020). @default - Prometheus pods in `monitoring` */
  scrapedBy: podPeerSchema.default(DEFAULT_MONITORING_SOURCE),
  /** Why the namespace needs the `privileged` exception; recorded on the namespace and the DaemonSet. @default - {@link FLUENT_BIT_EXCEPTION_REASON} */
  exceptionReason: z.string().min(20).default(FLUENT_BIT_EXCEPTION_REASON),
  /** Extra labels on every object. @default {} */
  labels: labelMap.default({}),
});

/** A key of a Secret in the logging namespace. */
export interface LogSecretKey {
  /** Secret name, in the logging namespace. */
  readonly name: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** Basic-auth credentials of a log output, from Secrets (never inline). */
export interface LogOutputCredentials {
  /** User name. */
  readonly user: LogSecretKey;
  /** Password. */
  readonly password: LogSecretKey;
}

/** TLS of a log output; the server's certificate is always verified. */
export interface LogOutputTls {
  /** CA bundle (PEM) to verify the server, from a Secret in the logging namespace. @default - the image's system CAs */
  readonly caSecret?: LogSecretKey;
}

/**
 * Logs to Elasticsearch (or OpenSearch in its Elasticsearch-compatible mode).
 * @see https://docs.fluentbit.io/manual/pipeline/outputs/elasticsearch
 */
export interface ElasticsearchLogOutput {
  /** Elasticsearch output. */
  readonly type: 'elasticsearch';
  /** Host name, like `elasticsearch.logging.svc`, without scheme or port. */
  readonly host: string;
  /** Port. @default 9200 */
  readonly port?: number;
  /** Index: lowercase letters, digits, `-`, `_` and `.`. */
  readonly index: string;
  /** Basic-auth user and password, from Secrets. @default - no authentication */
  readonly credentials?: LogOutputCredentials;
  /** TLS. @default - verified against the system CAs */
  readonly tls?: LogOutputTls;
  /** Egress to the output, for the NetworkPolicy. */
  readonly egress: EgressRuleOptions;
}

/**
 * Logs to Grafana Loki.
 * @see https://docs.fluentbit.io/manual/pipeline/outputs/loki
 */
export interface LokiLogOutput {
  /** Loki output. */
  readonly type: 'loki';
  /** Host name, like `loki.logging.svc`, without scheme or port. */
  readonly host: string;
  /** Port. @default 3100 */
  readonly port?: number;
  /** Tenant (`X-Scope-OrgID`). @default - none (single-tenant Loki) */
  readonly tenantId?: string;
  /** Basic-auth user and password, from Secrets. @default - no authentication */
  readonly credentials?: LogOutputCredentials;
  /** TLS. @default - verified against the system CAs */
  readonly tls?: LogOutputTls;
  /** Egress to the output, for the NetworkPolicy. */
  readonly egress: EgressRuleOptions;
}

/** Where the logs go. TLS is always verified. */
export type LogOutputOptions = ElasticsearchLogOutput | LokiLogOutput;

true satisfies SchemaAgrees<typeof logOutputSchema, LogOutputOptions>;

/** The Kubernetes API server endpoints the Kubernetes filter reads pod metadata from. */
export interface ApiServerEndpoints {
  /** Endpoint CIDRs (`kubectl get endpoints kubernetes -n default`), at least one. */
  readonly cidrs: readonly string[];
  /**
   * The API server's endpoint port, which may differ from the
   * `kubernetes` Service's 443 that Fluent Bit connects to: NetworkPolicy
   * sees the connection after the Service's DNAT, so the egress rule must
   * allow the port the endpoints list: 6443 on kubeadm clusters, 443 on
   * most managed ones. A wrong port leaves the Kubernetes filter without pod metadata.
   * @default 443
   */
  readonly port?: number;
}

/** The UID of the log shipper and the group that may read the node's log files. */
export interface LogShipperSecurityContext {
  /** UID the shipper runs as; never root (0). @default 10001 */
  readonly runAsUser?: number;
  /** GID owning the node's log files, joined as a supplemental group. @default 0 */
  readonly logFileGroup?: number;
}

/**
 * Props of {@link FluentBit}.
 * @see https://docs.fluentbit.io/manual/installation/kubernetes
 */
export interface FluentBitProps {
  /** Name of the DaemonSet and related objects. @default 'fluent-bit' */
  readonly name?: string;
  /** Namespace created for the log shipper, labelled Pod Security `privileged`. @default 'logging' */
  readonly namespace?: string;
  /** Image. @default - `fluentBit` of DEFAULT_IMAGES (README "Default images") */
  readonly image?: string;
  /** Namespaces whose container logs are shipped ({@link FluentBit.shipNamespace} adds more). @default [] */
  readonly namespaces?: readonly string[];
  /** Where the logs go. */
  readonly output: LogOutputOptions;
  /**
   * Kubernetes API server endpoint CIDRs and port (`kubectl get endpoints kubernetes -n default`):
   * the Kubernetes filter reads pod metadata from it.
   */
  readonly apiServer: ApiServerEndpoints;
  /**
   * UID the shipper runs as, and the group that may read the log files:
   * containerd and CRI-O write them `0640 root:root`, so the shipper joins
   * group 0 as a supplemental group instead of running as root.
   * @default { runAsUser: 10001, logFileGroup: 0 }
   */
  readonly securityContext?: LogShipperSecurityContext;
  /** Requests and limits. @default - requests 50m / 64Mi, limits 500m / 256Mi */
  readonly resources?: Resources;
  /** Most nodes the cluster runs: the namespace quota admits one shipper pod per node. @default 100 */
  readonly maxNodes?: number;
  /** Tolerations, so every node's logs are shipped. @default - tolerate every taint */
  readonly tolerations?: readonly TolerationOptions[];
  /** Prometheus pods that scrape Fluent Bit's metrics (port 2020). @default - Prometheus pods in `monitoring` */
  readonly scrapedBy?: PodPeer;
  /** Why the namespace needs the `privileged` exception, 20 characters or more; recorded on the namespace and the DaemonSet. @default - {@link FLUENT_BIT_EXCEPTION_REASON} */
  readonly exceptionReason?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: { readonly [key: string]: string };
}

true satisfies SchemaAgrees<typeof FluentBitPropsSchema, FluentBitProps>;

/** Policy checks the DaemonSet is exempt from, by a recorded waiver: the read-only hostPath. */
export const FLUENT_BIT_WAIVED_CHECKS = ['PSS-05'] as const;

/** Fluent Bit's HTTP server port (health and metrics). */
export const FLUENT_BIT_HTTP_PORT = 2020;

/** Construct ids of the children: part of the API, since they name objects. */
export const FluentBitIds = {
  Namespace: 'Namespace',
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  ClusterRole: 'ClusterRole',
  ClusterRoleBinding: 'ClusterRoleBinding',
  DaemonSet: 'DaemonSet',
  NetworkPolicy: 'NetworkPolicy',
} as const;

// D-SKR-15, PSS-05
/**
 * Log shipping: a Fluent Bit DaemonSet that tails the container logs of the
 * given namespaces on every node (CRI and Docker formats through the
 * built-in multiline parsers), enriches them with the Kubernetes
 * filter and sends them to Elasticsearch (`Suppress_Type_Name On` for
 * Elasticsearch 8) or Loki over verified TLS.
 *
 * Tailing needs a hostPath, which Pod Security forbids even at `baseline`,
 * so the shipper lives in its own namespace labelled `privileged`, with the
 * reason recorded on it, a default-deny NetworkPolicy, egress only to DNS,
 * the API server and the output, and the hostPath mounted read-only. The
 * DaemonSet carries the waiver annotation for the hostPath check;
 * every other restricted control holds: it runs as a non-root UID (reading
 * the `0640 root:root` log files through a supplemental group), without
 * privilege escalation or capabilities, with RuntimeDefault seccomp and a
 * read-only root filesystem. Its ClusterRole can only get, list and watch
 * pods and namespaces.
 *
 * Tail positions live in an emptyDir: they survive container restarts, and
 * a replaced pod starts at the end of each file.
 *
 * @see https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/yaml
 */
export class FluentBit extends Construct {
  /** The `logging` namespace (Pod Security `privileged`, with the reason recorded). */
  public readonly agentNamespace: AgentNamespace;
  /** Namespace name. */
  public readonly namespace: string;
  /** The ConfigMap holding `fluent-bit.yaml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ServiceAccount the Kubernetes filter reads pod metadata with. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** get/list/watch on pods and namespaces, nothing else. */
  public readonly clusterRole: k8s.KubeClusterRole;
  /** Binds the ClusterRole to the ServiceAccount. */
  public readonly clusterRoleBinding: k8s.KubeClusterRoleBinding;
  /** The DaemonSet. */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The NetworkPolicy of the shipper pods. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly shipped: Set<string>;
  private readonly props: z.output<typeof FluentBitPropsSchema>;

  constructor(scope: Construct, id: string, props: FluentBitProps) {
    super(scope, id);
    const p = parseConstructProps(this, FluentBitPropsSchema, props);
    this.props = p;
    const { name, namespace: ns } = p;
    this.namespace = ns;
    this.shipped = new Set(p.namespaces);
    const w = workloadIdentity(this, { namespace: ns, name, image: p.image, component: 'log-shipper', labels: p.labels });
    this.agentNamespace = new AgentNamespace(this, FluentBitIds.Namespace, {
      name: ns,
      podSecurityLevel: 'privileged',
      podSecurityReason: p.exceptionReason,
      apiServerEgress: { cidrs: p.apiServer.cidrs, port: p.apiServer.port },
      quota: shipperQuota(p),
    });
    const configText = Lazy.any({ produce: () => this.renderConfig() }) as unknown as string;
    this.configMap = createConfigMap(this, FluentBitIds.ConfigMap, w.meta('ConfigMap', `${name}-config`), { 'fluent-bit.yaml': configText });
    this.serviceAccount = createServiceAccount(this, FluentBitIds.ServiceAccount, w);
    this.clusterRole = new k8s.KubeClusterRole(this, FluentBitIds.ClusterRole, {
      metadata: w.clusterMeta('ClusterRole', `${ns}-${name}`),
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
    });
    this.clusterRoleBinding = new k8s.KubeClusterRoleBinding(this, FluentBitIds.ClusterRoleBinding, {
      metadata: w.clusterMeta('ClusterRoleBinding', `${ns}-${name}`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.clusterRole.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: ns }],
    });
    this.daemonSet = setPrimary(this, createDaemonSet(this, FluentBitIds.DaemonSet, w, {
      annotations: waiverAnnotations(FLUENT_BIT_WAIVED_CHECKS, p.exceptionReason),
      template: podTemplate({
        labels: { ...w.labels, [API_ACCESS_LABEL]: 'true' },
        annotations: {
          [ANNOTATIONS.configChecksum]: Lazy.any({ produce: () => configChecksum(this.renderConfig()) }) as unknown as string,
          // Fluent Bit flushes its buffers (Grace 5 s in the config) after SIGTERM.
          [ANNOTATIONS.drainSeconds]: '10',
          ...dependsOnAnnotation(dependencyEdges([p.output.egress], ns)),
        },
        spec: shipperPodSpec(p, this.configMap.name, this.serviceAccount.name),
      }),
    }));
    this.networkPolicy = createNetworkPolicy(this, FluentBitIds.NetworkPolicy, w, {
      ingress: [ingressRule([p.scrapedBy], [FLUENT_BIT_HTTP_PORT], ns)],
      egress: [renderEgressRule(p.output.egress, ns)],
    });
    this.node.addValidation({
      validate: () => (this.shipped.size === 0 ? [`${this.node.path}: no namespace is shipped; list props.namespaces or call shipNamespace()`] : []),
    });
  }

  /** Ships the container logs of `namespace` too. */
  public shipNamespace(namespace: string): void {
    this.shipped.add(parseOptions(this, 'shipNamespace()', dnsLabel, namespace));
  }

  /** Namespaces whose logs are shipped, sorted. */
  public get namespaces(): readonly string[] {
    return [...this.shipped].sort();
  }

  /** The Fluent Bit configuration (YAML format), as written to the ConfigMap. */
  public renderConfig(): string {
    return stringify(this.configModel(), { lineWidth: 0, aliasDuplicateObjects: false });
  }

  /** The Fluent Bit configuration as an object. */
  public configModel(): Record<string, unknown> {
    const output = outputConfig(this.props.output);
    return {
      service: {
        flush: 5,
        grace: 5,
        log_level: 'info',
        http_server: 'on',
        http_listen: '0.0.0.0',
        http_port: FLUENT_BIT_HTTP_PORT,
        health_check: 'on',
        'storage.path': '/fluent-bit/state/storage',
      },
      pipeline: {
        inputs: [
          {
            name: 'tail',
            tag: 'kube.*',
            // kubelet names the links <pod>_<namespace>_<container>-<id>.log.
            path: this.namespaces.map((n) => `/var/log/containers/*_${n}_*.log`).join(','),
            // CRI (containerd, CRI-O) and Docker JSON lines; `Parser docker` alone misreads CRI (D-SKR-15).
            'multiline.parser': 'docker, cri',
            db: '/fluent-bit/state/tail.db',
            'db.locking': true,
            mem_buf_limit: '32MB',
            skip_long_lines: 'on',
            refresh_interval: 5,
            'storage.type': 'filesystem',
          },
        ],
        filters: [
          {
            name: 'kubernetes',
            match: 'kube.*',
            kube_url: 'https://kubernetes.default.svc:443',
            kube_tag_prefix: 'kube.var.log.containers.',
            merge_log: 'on',
            keep_log: 'off',
            labels: 'on',
            annotations: 'off',
            // Pods may not pick their own parser or opt out of shipping.
            'k8s-logging.parser': 'off',
            'k8s-logging.exclude': 'off',
          },
        ],
        outputs: [output],
      },
    };
  }
}

type Config = z.output<typeof FluentBitPropsSchema>;

/**
 * The namespace quota: one shipper pod per node, so `maxNodes` pods and
 * their requests and limits (quota checks cannot count DaemonSet pods, so
 * it is sized here).
 */
function shipperQuota(p: Config): { requests: ResourceSet; limits: ResourceSet; pods: number; persistentVolumeClaims: number } {
  const resources = resolveResources(p.resources);
  const times = (q: string, format: (n: number) => string) => format((parseQuantity(q) ?? 0) * p.maxNodes);
  const scaled = (s: ResourceSet): ResourceSet => ({
    cpu: times(s.cpu, formatCpu),
    memory: times(s.memory, formatBytes),
    ephemeralStorage: times(s.ephemeralStorage, formatBytes),
  });
  return { requests: scaled(resources.requests), limits: scaled(resources.limits), pods: p.maxNodes, persistentVolumeClaims: 0 };
}

/**
 * The shipper pod: the node's logs through a read-only hostPath, the
 * config, tail positions in an emptyDir, the output's CA; a non-root UID
 * reading the `0640 root:root` log files through a supplemental group; the
 * API token, which the Kubernetes filter needs.
 */
function shipperPodSpec(p: Config, configMapName: string, serviceAccountName: string): k8s.PodSpec {
  const out = p.output;
  const volumes = new VolumeSet();
  // Read-only: the shipper only reads the node's logs.
  volumes.add({ volume: { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } }, mount: { name: 'varlog', mountPath: '/var/log', readOnly: true } });
  volumes.add(configMapVolume('config', configMapName, '/fluent-bit/etc/conf'));
  volumes.add(scratchVolume('state', '/fluent-bit/state', '512Mi'));
  if (out.tls.caSecret) {
    volumes.add(secretVolume('output-ca', out.tls.caSecret.name, '/fluent-bit/etc/output-ca', 0o444, [{ key: out.tls.caSecret.key, path: 'ca.crt' }]));
  }
  const uid = p.securityContext.runAsUser;
  const container = hardenedContainer({
    name: 'fluent-bit',
    image: p.image,
    command: ['/fluent-bit/bin/fluent-bit'],
    args: ['--config=/fluent-bit/etc/conf/fluent-bit.yaml'],
    env: out.credentials ? [envFromSecret('LOG_OUTPUT_USER', out.credentials.user), envFromSecret('LOG_OUTPUT_PASSWORD', out.credentials.password)] : undefined,
    ports: [{ name: 'http', containerPort: FLUENT_BIT_HTTP_PORT }],
    resources: resolveResources(p.resources),
    livenessProbe: renderProbe({ path: '/api/v1/health', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, 'http'),
    readinessProbe: renderProbe({ tcpPort: 'http', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 2 }, 'http'),
    runAsUser: uid,
    runAsGroup: uid,
    volumeMounts: volumes.mounts,
  });
  return restrictedPodSpec({
    serviceAccountName,
    automountServiceAccountToken: true,
    terminationGracePeriodSeconds: 30,
    runAs: { runAsUser: uid, supplementalGroups: [p.securityContext.logFileGroup] },
    containers: [container],
    volumes: volumes.volumes,
    tolerations: p.tolerations.map((t) => ({ ...t })),
  });
}

/** The `outputs` entry: Elasticsearch or Loki, over verified TLS, with basic auth from the env when credentials are given. */
function outputConfig(out: Config['output']): Record<string, unknown> {
  const tls = { tls: 'on', 'tls.verify': 'on', ...(out.tls.caSecret ? { 'tls.ca_file': '/fluent-bit/etc/output-ca/ca.crt' } : {}) };
  const auth = out.credentials ? { http_user: '${LOG_OUTPUT_USER}', http_passwd: '${LOG_OUTPUT_PASSWORD}' } : {};
  if (out.type === 'elasticsearch') {
    return {
      name: 'es',
      match: 'kube.*',
      host: out.host,
      port: out.port,
      index: out.index,
      // Elasticsearch 8 rejects mapping types; `Type _doc` broke it (D-SKR-15).
      suppress_type_name: 'on',
      replace_dots: 'on',
      trace_error: 'on',
      retry_limit: 10,
      ...auth,
      ...tls,
    };
  }
  return {
    name: 'loki',
    match: 'kube.*',
    host: out.host,
    port: out.port,
    labels: "job=fluent-bit, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name'], container=$kubernetes['container_name']",
    line_format: 'json',
    ...(out.tenantId ? { tenant_id: out.tenantId } : {}),
    retry_limit: 10,
    ...auth,
    ...tls,
  };
}
