import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { PROFILE_DEFAULTS, profileSchema } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain, httpPath, labelMap, portNumber, workloadName } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import { checkExposure, exposureSchema } from '../exposure/exposure.js';
import { egressRuleSchema, ingressSourceSchema, podPeerSchema } from '../network/peers.js';
import {
  containerPortSchema,
  envFromSchema,
  envSchema,
  extraContainerSchema,
  tolerationSchema,
  probeSchema,
  resourcesSchema,
} from './container.js';

const percentOrInt = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\d{1,3}%$/, { error: problem('is not a percentage', "use an integer or a percentage like '25%'") })
    .refine((v) => Number(v.slice(0, -1)) <= 100, { error: problem('is above 100%', 'use a percentage from 0% to 100%') }),
]);

/** Whether an int-or-percent is zero. */
const isZero = (v: number | string) => v === 0 || (typeof v === 'string' && Number(v.slice(0, -1)) === 0);

/** Pod annotations that change the pod's security profile; they are set by the construct or not at all. */
const SECURITY_ANNOTATION = /(^|\.)(apparmor\.security\.beta\.kubernetes\.io|seccomp\.security\.alpha\.kubernetes\.io)\/|^container\.apparmor\.|^container\.seccomp\./;

const hpaPolicy = z.strictObject({
  /** `Percent` or `Pods`. */
  type: z.enum(['Percent', 'Pods']),
  /** Amount per period. */
  value: z.number().int().min(1),
  /** Period in seconds. */
  periodSeconds: z.number().int().min(1).max(1800),
});

const hpaRules = z.strictObject({
  /** Seconds of history the scaling decision considers (the whole behavior has a default). */
  stabilizationWindowSeconds: z.number().int().min(0).max(3600),
  /** Scaling policies. */
  policies: z.array(hpaPolicy).min(1),
  /** @default 'Max' */
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
});

/** HorizontalPodAutoscaler (autoscaling/v2) options. */
export const autoscalingSchema = z.strictObject({
  /** Minimum replicas. */
  minReplicas: z.number().int().min(1, { error: problem('must be at least 1', 'use 1 or more (2 or more outside dev)') }),
  /** Maximum replicas. */
  maxReplicas: z.number().int().min(1, { error: problem('must be at least 1', 'use a value of at least minReplicas') }),
  /** Target average CPU utilization, percent of requests. @default 70 */
  cpuUtilization: z.number().int().min(1).max(100).default(70),
  /** Target average memory utilization, percent of requests. @default - memory not used */
  memoryUtilization: z.number().int().min(1).max(100).optional(),
  /** Custom per-pod metrics (needs a custom metrics adapter such as prometheus-adapter). @default [] */
  podsMetrics: z
    .array(z.strictObject({ /** Metric name. */ name: z.string().min(1), /** Target average per pod, a quantity. */ averageValue: z.string().min(1) }))
    .default([]),
  /**
   * Scaling behaviour.
   * @default - up: 60 s window, +100 % per 30 s; down: 300 s window, -50 % per 60 s (the Skreaver guide's)
   */
  behavior: z
    .strictObject({ scaleUp: hpaRules, scaleDown: hpaRules })
    .default({
      scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }], selectPolicy: 'Max' },
      scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }], selectPolicy: 'Max' },
    }),
});

const preStopSchema = z.discriminatedUnion('type', [
  z.strictObject({
    /** No preStop hook: the app itself keeps serving for a while after SIGTERM (the reference runtime does), counted in `drainSeconds`. */
    type: z.literal('none'),
  }),
  z.strictObject({
    /**
     * Exec a sleep binary the image has, so endpoints are removed before
     * SIGTERM. Kubernetes 1.28 has no native `sleep` action, and
     * `sh -c "sleep N"` fails on shell-less images (D-TAL-02).
     */
    type: z.literal('execSleep'),
    /** Seconds to sleep. */
    seconds: z.number().int().min(1).max(120),
    /** Path of the sleep binary in the image. @default '/bin/sleep' */
    sleepBinary: z.string().regex(/^\//, { error: problem('must be an absolute path', "use e.g. '/bin/sleep'") }).default('/bin/sleep'),
  }),
]);

/** Props of {@link SecureAgentDeployment}. */
export const SecureAgentDeploymentPropsSchema = z
  .strictObject({
    /** Name of the Deployment, Service and related objects (`kubectl rollout restart deployment/<name>`). */
    name: workloadName,
    /** Namespace (use an {@link AgentNamespace}'s `name`). */
    namespace: dnsLabel,
    /** Deployment profile. @default 'production' */
    profile: profileSchema.default('production'),
    /** Container image; outside `dev` it must carry a version tag or digest. */
    image: imageReference,
    /** @default - `IfNotPresent` for digest-pinned images, else `Always` */
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    /** Secrets for pulling the image. @default [] */
    imagePullSecrets: z.array(dnsSubdomain).default([]),
    /** `app.kubernetes.io/name`. @default - `name` */
    appName: dnsLabel.optional(),
    /** `app.kubernetes.io/version`. @default - the image tag */
    version: z.string().max(63).optional(),
    /** `app.kubernetes.io/component`. @default 'agent' */
    component: dnsLabel.default('agent'),
    /** `app.kubernetes.io/part-of`. @default - none */
    partOf: dnsLabel.optional(),
    /** Extra labels on every object; they can never replace the recommended or selector labels. @default {} */
    labels: labelMap.default({}),
    /** Extra pod annotations. @default {} */
    podAnnotations: z
      .record(
        z.string().refine((k) => !SECURITY_ANNOTATION.test(k), {
          error: problem('sets an AppArmor or seccomp profile', 'remove it: the pod runs with RuntimeDefault, and a weaker profile would fail Pod Security'),
        }),
        z.string(),
      )
      .default({}),
    /** Entrypoint override. @default - the image's */
    command: z.array(z.string()).optional(),
    /** Arguments. @default - the image's */
    args: z.array(z.string()).optional(),

    /**
     * Static replica count, used when autoscaling is off. Setting it without
     * `autoscaling` turns the profile's default autoscaling off.
     * @default - 3 in production, 2 in staging, 1 in dev
     */
    replicas: z.number().int().min(1, { error: problem('must be at least 1', 'use 1 or more replicas (2 or more outside dev)') }).optional(),
    /**
     * HorizontalPodAutoscaler, or false for a static replica count. The
     * Deployment then has no `replicas`, so re-applies never fight the HPA.
     * @default - production 3-10, staging 2-4 (unless `replicas` is set), dev none
     */
    autoscaling: z.union([autoscalingSchema, z.literal(false)]).optional(),
    /**
     * PodDisruptionBudget that can never block a node drain: `maxUnavailable`,
     * or `minAvailable` below the minimum replica count. `false` turns it off.
     * @default - { maxUnavailable: 1 } outside dev; none in dev
     */
    pdb: z
      .union([
        z.strictObject({
          /** Pods that must stay available (below the minimum replica count). @default - unset; give this or maxUnavailable */
          minAvailable: percentOrInt.optional(),
          /** Pods that may be down at once (1 or more). @default - unset; give this or minAvailable */
          maxUnavailable: percentOrInt.optional(),
        }),
        z.literal(false),
      ])
      .optional(),
    /** Rolling update bounds. @default { maxSurge: 1, maxUnavailable: 0 } */
    rollingUpdate: z
      .strictObject({ maxSurge: percentOrInt.default(1), maxUnavailable: percentOrInt.default(0) })
      .prefault({}),

    /** The app's HTTP port, named `http`. @default 8080 */
    port: portNumber.default(8080),
    /**
     * Prometheus metrics: own port named `metrics` (default), or the app port
     * when `port` equals it; `false` for none.
     * @default { port: 9090, path: '/metrics' }
     */
    metrics: z
      .union([
        z.strictObject({
          /** @default 9090 */
          port: portNumber.default(9090),
          /** @default '/metrics' */
          path: httpPath.default('/metrics'),
          /** Who may scrape it. @default - Prometheus pods in `monitoring` */
          scrapeFrom: podPeerSchema.optional(),
        }),
        z.literal(false),
      ])
      .prefault({}),
    /** More container ports (exposed on the Service, never routed by the exposure). @default [] */
    additionalPorts: z.array(containerPortSchema).default([]),
    /** The Service. @default { port: 80 } */
    service: z
      .strictObject({
        /** Service port of `http`. @default 80 */
        port: portNumber.default(80),
        /** `ClientIP` pins in-cluster clients to a pod; ingress controllers bypass it (D-SKR-20). @default 'None' */
        sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
        /** Affinity timeout for `ClientIP`. @default 10800 */
        sessionAffinityTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
      })
      .prefault({}),

    /** Environment variables, by name, in order. Secrets only as `{ fromSecret: { name, key } }`. @default {} */
    env: envSchema.default({}),
    /** ConfigMaps whose keys all become variables (Secrets only key by key). @default [] */
    envFrom: envFromSchema.default([]),

    /** Liveness probe. @default - GET /healthz on http */
    livenessProbe: probeSchema.prefault({ path: '/healthz', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
    /** Readiness probe, on another endpoint than liveness. @default - GET /readyz on http */
    readinessProbe: probeSchema.prefault({ path: '/readyz', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }),
    /** Startup probe; liveness waits for it. `false` for none. @default - GET /healthz on http, up to 60 s */
    startupProbe: z.union([probeSchema, z.literal(false)]).prefault({ path: '/healthz', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 }),

    /** Requests and limits (cpu, memory, ephemeral storage): a preset or explicit. @default 'small' */
    resources: resourcesSchema.default('small'),

    /** Pod UID/GID. @default { runAsUser: 10001 } (the reference runtime's; group and fsGroup follow the user) */
    securityContext: z
      .strictObject({
        /** UID, never 0. @default 10001 */
        runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID, 10000 or above preferred') }).default(10001),
        /** GID. @default - runAsUser */
        runAsGroup: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero GID') }).optional(),
        /** fsGroup for mounted volumes. @default - runAsGroup */
        fsGroup: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero GID') }).optional(),
      })
      .prefault({}),

    /** Writable emptyDir mounts (the root filesystem is read-only). @default - `tmp` at /tmp, 256Mi */
    scratchVolumes: z
      .array(
        z.strictObject({
          /** Volume name. */
          name: dnsLabel,
          /** Mount path. */
          mountPath: z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") }),
          /** Size limit (counts against ephemeral storage). */
          sizeLimit: bytesQuantity,
          /** `Memory` for tmpfs. @default - node disk */
          medium: z.literal('Memory').optional(),
        }),
      )
      .default([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' }]),
    /**
     * Config files mounted read-only from a ConfigMap the construct creates;
     * the pod template carries their checksum, so changed content rolls the pods.
     * @default - none
     */
    configFiles: z
      .strictObject({
        /** Files by name. */
        files: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid file name', "use letters, digits, '-', '_' and '.'") }), z.string()),
        /** Mount directory. @default '/config' */
        mountPath: z.string().regex(/^\//).default('/config'),
        /** ConfigMap name. @default `<name>-config` */
        configMapName: dnsSubdomain.optional(),
      })
      .optional(),
    /** Secrets mounted as files (preferred over env, SEC-05). @default [] */
    secretVolumes: z
      .array(
        z.strictObject({
          /** Volume name. */
          name: dnsLabel,
          /** Secret name. */
          secretName: dnsSubdomain,
          /** Mount directory. */
          mountPath: z.string().regex(/^\//),
          /** File mode. @default 0o400 */
          defaultMode: z.number().int().min(0).max(0o777).default(0o400),
        }),
      )
      .default([]),
    /**
     * A PersistentVolumeClaim created and mounted. ReadWriteOnce with more
     * than one replica is rejected (D-SKR-08); with one replica the rollout
     * strategy becomes Recreate, since a surge pod could not attach it.
     * @default - none
     */
    persistentVolume: z
      .strictObject({
        /** PVC name. @default `<name>-data` */
        claimName: dnsSubdomain.optional(),
        /** Mount path. */
        mountPath: z.string().regex(/^\//),
        /** Size. */
        size: bytesQuantity,
        /** @default 'ReadWriteOnce' */
        accessMode: z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany']).default('ReadWriteOnce'),
        /** StorageClass. @default - the cluster default */
        storageClassName: dnsSubdomain.optional(),
      })
      .optional(),

    /** Graceful shutdown. @default - no preStop, 30 s drain, grace = preStop + drain + 5 s */
    shutdown: z
      .strictObject({
        /** preStop hook. @default { type: 'none' } */
        preStop: preStopSchema.default({ type: 'none' }),
        /** The app's drain timeout after SIGTERM (in-flight requests, the in-app delay). @default 30 */
        drainSeconds: z.number().int().min(0).default(30),
        /** Must cover preStop + drain. @default - preStop + drain + 5 */
        terminationGracePeriodSeconds: z.number().int().min(1).optional(),
      })
      .prefault({}),

    /** Soft topology spread over zones and hosts (ScheduleAnyway). @default true */
    topologySpread: z.boolean().default(true),
    /** Node selector. @default {} */
    nodeSelector: z.record(z.string(), z.string()).default({}),
    /** Tolerations. @default [] */
    tolerations: z.array(tolerationSchema).default([]),
    /** PriorityClass. @default - none (the cluster default) */
    priorityClassName: dnsSubdomain.optional(),
    /** Init containers, hardened like the main container. @default [] */
    initContainers: z.array(extraContainerSchema).default([]),
    /** Sidecars, hardened like the main container. @default [] */
    sidecars: z.array(extraContainerSchema).default([]),

    /** Bring your own ServiceAccount instead of a dedicated one. @default - a dedicated ServiceAccount named `name` */
    serviceAccountName: dnsSubdomain.optional(),
    /**
     * API access, least privilege: `get` on the named ConfigMaps and Secrets
     * only. Granting anything mounts the token and labels the pods for the
     * namespace's API server egress policy.
     * @default - no API access, no token mounted
     */
    rbac: z
      .strictObject({
        /** ConfigMaps the app may read. @default [] */
        configMaps: z.array(dnsSubdomain).default([]),
        /** Secrets the app may read. @default [] */
        secrets: z.array(dnsSubdomain).default([]),
      })
      .optional(),

    /**
     * Who may reach the app port from outside the namespace: the ingress
     * controller or Gateway proxies.
     * @default - 'ingress-nginx' with an Ingress, 'envoy-gateway' with an HTTPRoute, nobody without exposure
     */
    ingressFrom: ingressSourceSchema.optional(),
    /** In-cluster callers allowed on the app port. @default [] */
    allowFrom: z.array(podPeerSchema).default([]),
    /** Allowed egress (DNS is allowed by the namespace). @default [] */
    egress: z.array(egressRuleSchema).default([]),

    /** Exposure: an Ingress or a Gateway API HTTPRoute. @default - not exposed */
    exposure: exposureSchema.optional(),
  })
  .superRefine((p, ctx) => {
    const d = PROFILE_DEFAULTS[p.profile];
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    for (const [list, key] of [
      [p.initContainers, 'initContainers'],
      [p.sidecars, 'sidecars'],
    ] as const) {
      list.forEach((c, i) => checkImageForProfile(ctx, c.image, p.profile, [key, i, 'image']));
    }

    const autoscaling = resolveAutoscaling(p);
    if (p.replicas !== undefined && autoscaling) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: problem('is set while autoscaling is on', 'set autoscaling.minReplicas instead, or autoscaling: false') });
    }
    if (autoscaling && autoscaling.minReplicas > autoscaling.maxReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoscaling', 'minReplicas'],
        message: problem(`is above autoscaling.maxReplicas (${autoscaling.maxReplicas})`, 'make minReplicas at most maxReplicas'),
      });
    }
    const minReplicas = autoscaling ? autoscaling.minReplicas : (p.replicas ?? d.replicas);
    // Counts below 1 were already rejected by the field's own rule.
    if (minReplicas >= 1 && minReplicas < d.minReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: autoscaling ? ['autoscaling', 'minReplicas'] : ['replicas'],
        message: problem(`is below ${d.minReplicas}, the ${p.profile} minimum`, `use at least ${d.minReplicas}, or profile 'dev'`),
      });
    }
    const multi = (autoscaling ? autoscaling.maxReplicas : minReplicas) > 1;

    const pdb = p.pdb ?? (d.pdb ? { maxUnavailable: 1 } : false);
    if (pdb) {
      if ((pdb.minAvailable === undefined) === (pdb.maxUnavailable === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['pdb'], message: problem('must set exactly one of minAvailable or maxUnavailable', 'set maxUnavailable: 1') });
      } else if (pdb.maxUnavailable !== undefined && (pdb.maxUnavailable === 0 || pdb.maxUnavailable === '0%')) {
        ctx.addIssue({ code: 'custom', path: ['pdb', 'maxUnavailable'], message: problem('allows no eviction, so it blocks node drains', 'use 1 or more') });
      } else if (pdb.minAvailable !== undefined) {
        const need = typeof pdb.minAvailable === 'number' ? pdb.minAvailable : Math.ceil((Number(pdb.minAvailable.slice(0, -1)) / 100) * minReplicas);
        if (need >= minReplicas) {
          ctx.addIssue({
            code: 'custom',
            path: ['pdb', 'minAvailable'],
            message: problem(`leaves no eviction at ${minReplicas} replicas, so it blocks node drains`, `use at most ${minReplicas - 1}, or maxUnavailable: 1`),
          });
        }
      }
    }

    if (isZero(p.rollingUpdate.maxSurge) && isZero(p.rollingUpdate.maxUnavailable)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollingUpdate', 'maxUnavailable'],
        params: { value: p.rollingUpdate.maxUnavailable },
        message: problem('is 0 while maxSurge is 0 too, so a rollout can never progress', 'allow a surge (maxSurge: 1) or an unavailable pod'),
      });
    }

    // Service ports: http, metrics (when separate) and the additional ports.
    const servicePorts: { port: number; path: (string | number)[] }[] = [{ port: p.service.port, path: ['service', 'port'] }];
    if (p.metrics && p.metrics.port !== p.port) servicePorts.push({ port: p.metrics.port, path: ['metrics', 'port'] });
    p.additionalPorts.forEach((ap, i) => servicePorts.push({ port: ap.containerPort, path: ['additionalPorts', i, 'containerPort'] }));
    const seenServicePorts = new Set<number>();
    for (const sp of servicePorts) {
      if (seenServicePorts.has(sp.port)) {
        ctx.addIssue({
          code: 'custom',
          path: sp.path,
          params: { value: sp.port },
          message: problem(`duplicates Service port ${sp.port}`, 'give every Service port its own number (service.port is the http port of the Service)'),
        });
      }
      seenServicePorts.add(sp.port);
    }

    // Extra containers: probes on their own ports; sidecars are probed, init
    // containers (not native sidecars) cannot be.
    for (const key of ['initContainers', 'sidecars'] as const) {
      p[key].forEach((c, i) => {
        const own = new Set<string | number>(c.ports.flatMap((pt) => [pt.name, pt.containerPort]));
        for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
          const pr = c[probe];
          const probed = key === 'sidecars' || c.restartAlways;
          if (!pr) {
            if (key === 'sidecars') {
              ctx.addIssue({ code: 'custom', path: [key, i, probe], message: problem('is missing on a sidecar', `give the sidecar a ${probe} (PRB-01/PRB-02 fail synth without one)`) });
            }
            continue;
          }
          if (!probed) {
            ctx.addIssue({ code: 'custom', path: [key, i, probe], message: problem('is not allowed on an init container', 'remove it, or set restartAlways: true to run the container as a native sidecar') });
            continue;
          }
          const ref = pr.path !== undefined ? (pr.port ?? c.ports[0]?.name) : pr.tcpPort;
          if (pr.command === undefined && (ref === undefined || !own.has(ref))) {
            ctx.addIssue({
              code: 'custom',
              path: [key, i, probe, pr.path !== undefined ? 'port' : 'tcpPort'],
              params: { value: ref },
              message: problem(`names no port of container "${c.name}"`, c.ports.length > 0 ? `use one of ${c.ports.map((pt) => pt.name).join(', ')}` : 'declare the port in ports, or probe with a command'),
            });
          }
        }
      });
    }

    // Port names and numbers must be unique across the container.
    const ports: { name: string; port: number; path: (string | number)[] }[] = [{ name: 'http', port: p.port, path: ['port'] }];
    if (p.metrics && p.metrics.port !== p.port) ports.push({ name: 'metrics', port: p.metrics.port, path: ['metrics', 'port'] });
    p.additionalPorts.forEach((ap, i) => ports.push({ name: ap.name, port: ap.containerPort, path: ['additionalPorts', i] }));
    const seenNames = new Map<string, string>();
    const seenPorts = new Map<number, string>();
    for (const port of ports) {
      if (seenNames.has(port.name)) {
        ctx.addIssue({ code: 'custom', path: [...port.path, 'name'], message: problem(`duplicates the port name "${port.name}"`, 'give every port its own name') });
      }
      if (seenPorts.has(port.port)) {
        ctx.addIssue({ code: 'custom', path: port.path, message: problem(`duplicates port ${port.port}`, 'give every port its own number') });
      }
      seenNames.set(port.name, port.name);
      seenPorts.set(port.port, port.name);
    }
    const portRef = (ref: string | number | undefined, path: (string | number)[]) => {
      if (ref === undefined) return;
      const ok = typeof ref === 'number' ? seenPorts.has(ref) : seenNames.has(ref);
      if (!ok) ctx.addIssue({ code: 'custom', path, message: problem('names no port of the container', `use one of ${[...seenNames.keys()].join(', ')}`) });
    };
    for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const probe = p[key];
      if (probe) {
        portRef(probe.port, [key, 'port']);
        portRef(probe.tcpPort, [key, 'tcpPort']);
      }
    }
    if (p.livenessProbe.path !== undefined && p.livenessProbe.path === p.readinessProbe.path) {
      ctx.addIssue({
        code: 'custom',
        path: ['readinessProbe', 'path'],
        message: problem('is the liveness path too', 'serve readiness on its own endpoint (e.g. /readyz) so a dependency outage never restarts pods (PRB-03)'),
      });
    }

    const preStopSeconds = p.shutdown.preStop.type === 'execSleep' ? p.shutdown.preStop.seconds : 0;
    if (p.shutdown.terminationGracePeriodSeconds !== undefined && p.shutdown.terminationGracePeriodSeconds < preStopSeconds + p.shutdown.drainSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['shutdown', 'terminationGracePeriodSeconds'],
        message: problem(
          `is shorter than preStop (${preStopSeconds}s) + drain (${p.shutdown.drainSeconds}s)`,
          `use at least ${preStopSeconds + p.shutdown.drainSeconds}, or shorten the drain`,
        ),
      });
    }

    if (p.persistentVolume && p.persistentVolume.accessMode !== 'ReadWriteMany' && multi) {
      ctx.addIssue({
        code: 'custom',
        path: ['persistentVolume', 'accessMode'],
        params: { value: p.persistentVolume.accessMode },
        message: problem(
          `is ${p.persistentVolume.accessMode} but the workload runs more than one replica, which cannot all attach it`,
          'use ReadWriteMany storage, keep the state in a database, or run one replica in dev',
        ),
      });
    }

    // Volume names must be unique and sidecar mounts must name a pod volume.
    const volumes = new Set<string>();
    const addVolume = (name: string, path: (string | number)[]) => {
      if (volumes.has(name)) ctx.addIssue({ code: 'custom', path, message: problem(`duplicates the volume name "${name}"`, 'give every volume its own name') });
      volumes.add(name);
    };
    p.scratchVolumes.forEach((v, i) => addVolume(v.name, ['scratchVolumes', i, 'name']));
    p.secretVolumes.forEach((v, i) => addVolume(v.name, ['secretVolumes', i, 'name']));
    if (p.configFiles) addVolume('config', ['configFiles']);
    if (p.persistentVolume) addVolume('data', ['persistentVolume']);
    for (const key of ['initContainers', 'sidecars'] as const) {
      p[key].forEach((c, i) =>
        c.volumeMounts.forEach((m, j) => {
          if (!volumes.has(m.name)) {
            ctx.addIssue({ code: 'custom', path: [key, i, 'volumeMounts', j, 'name'], message: problem('names no pod volume', `use one of ${[...volumes].join(', ') || '(none declared)'}`) });
          }
        }),
      );
    }
    const containerNames = new Set([p.name]);
    for (const key of ['initContainers', 'sidecars'] as const) {
      p[key].forEach((c, i) => {
        if (containerNames.has(c.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: problem(`duplicates the container name "${c.name}"`, 'give every container its own name') });
        containerNames.add(c.name);
        if (key === 'sidecars' && c.restartAlways) {
          ctx.addIssue({ code: 'custom', path: [key, i, 'restartAlways'], message: problem('only applies to init containers', 'remove it') });
        }
      });
    }

    if (p.exposure) checkExposure(ctx, p.exposure, d.requireTls, ['exposure']);
  });

/** Props of {@link SecureAgentDeployment}. */
export type SecureAgentDeploymentProps = Readonly<z.input<typeof SecureAgentDeploymentPropsSchema>>;

/** Parsed props. */
export type SecureAgentDeploymentConfig = z.output<typeof SecureAgentDeploymentPropsSchema>;

/** The autoscaling actually in force: explicit, or the profile's unless `replicas` is set. */
export function resolveAutoscaling(p: {
  profile: z.output<typeof profileSchema>;
  replicas?: number;
  autoscaling?: z.output<typeof autoscalingSchema> | false;
}): z.output<typeof autoscalingSchema> | false {
  if (p.autoscaling !== undefined) return p.autoscaling;
  if (p.replicas !== undefined) return false;
  const d = PROFILE_DEFAULTS[p.profile].autoscaling;
  return d ? autoscalingSchema.parse(d) : false;
}
