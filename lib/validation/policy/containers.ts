import { isMutableImage, parseImage } from '../../core/image.js';
import { formatBytes, parseQuantity } from '../../core/quantity.js';
import { looksLikeSecretName } from '../../core/secret-names.js';
import type { CheckId } from '../internal/checks.js';
import { join } from '../internal/paths.js';
import { ENV_FROM_SOURCES, ENV_VALUE_SOURCES, LONG_RUNNING_KINDS, type ContainerInfo, type PodTemplate } from '../internal/pod-templates.js';
import { findShellScript, unsafePipeline } from '../internal/shell.js';
import { arr, fmt, num, rec, str, type Rec } from '../internal/values.js';
import type { PolicyContext } from './context.js';
import { checkInherited } from './pod-security.js';

/**
 * Container hardening beyond Pod Security (SEC-01 to SEC-05, the `optional`
 * half of SEC-07), images (IMG-01 to IMG-03), resources (RES-01 to RES-03),
 * probes (PRB-01 to PRB-03), duplicate env vars (WKL-03), pipelines without
 * pipefail (WKL-07) and container ports (NET-09).
 */

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@/i;

/**
 * Why a literal value is a credential whatever its name, or undefined: a PEM
 * private key, or a URL carrying a password (a `$(VAR)` reference is not a
 * literal).
 */
export function secretLikeValue(value: string): string | undefined {
  // Each expression needs a literal its text contains ("-----BEGIN ", "://"
  // and "@"): looking for those first skips the expressions on most values
  // (config files of many kilobytes) without changing an answer.
  if (value.includes('-----BEGIN ') && PEM_PRIVATE_KEY.test(value)) return 'a PEM private key';
  if (!value.includes('://') || !value.includes('@')) return undefined;
  const m = URL_WITH_PASSWORD.exec(value);
  if (m && !/^\$[({]/.test(m[1]!)) return 'a URL with a password';
  return undefined;
}

const REDIS_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };
const JVM_UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** An application memory setting found in argv: Redis/Valkey `--maxmemory`, JVM `-Xmx`. */
interface MemoryKnob {
  readonly text: string;
  readonly bytes: number;
  readonly index: number;
}

function memoryKnobs(argv: readonly string[]): MemoryKnob[] {
  const out: MemoryKnob[] = [];
  argv.forEach((arg, i) => {
    const redis = /^--maxmemory(?:\s+|=|$)(\S*)$/.exec(arg);
    if (redis) {
      const value = redis[1] !== '' ? redis[1]! : (argv[i + 1] ?? '');
      const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(value);
      const unit = REDIS_UNITS[(m?.[2] ?? '').toLowerCase()];
      if (m && unit !== undefined) out.push({ text: `maxmemory ${value}`, bytes: Number(m[1]) * unit, index: i });
      return;
    }
    for (const x of arg.matchAll(/(?:^|\s)-Xmx(\d+)([kmgt]?)\b/gi)) {
      out.push({ text: `-Xmx${x[1]}${x[2]}`, bytes: Number(x[1]) * JVM_UNITS[x[2]!.toLowerCase()]!, index: i });
    }
  });
  return out;
}

function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === 'string');
}

/** Where argv item `i` lives: `command[i]` or `args[i - command.length]`. */
function argvPath(ci: ContainerInfo, i: number): string {
  const command = strings(ci.c.command);
  return i < command.length ? join(ci.path, 'command', i) : join(ci.path, 'args', i - command.length);
}

function quantity(raw: unknown): number | undefined {
  return typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
}

function describeHandler(probe: Rec): string {
  const http = rec(probe.httpGet);
  if (http) return `httpGet ${str(http.path) ?? '/'} on port ${fmt(http.port)}`;
  const tcp = rec(probe.tcpSocket);
  if (tcp) return `tcpSocket on port ${fmt(tcp.port)}`;
  const grpc = rec(probe.grpc);
  if (grpc) return `grpc on port ${fmt(grpc.port)}`;
  const exec = rec(probe.exec);
  if (exec) return `exec ${strings(exec.command).join(' ')}`;
  return 'no handler';
}

function handlerKey(probe: Rec): string {
  return JSON.stringify([probe.httpGet, probe.tcpSocket, probe.grpc, probe.exec]);
}

/** Runs the container checks on a pod template. */
export function checkContainers(t: PodTemplate, ctx: PolicyContext): void {
  const o = t.obj;
  const report: Report = (id, path, message, fix) => ctx.sink.add(o, id, path, message, fix);
  const workloadContainers = t.containers.filter((ci) => ci.list !== 'ephemeralContainers');
  checkIds(t, workloadContainers, report);
  checkServiceAccount(t, ctx, report);
  // RES-03: with every container's ephemeral-storage limited, emptyDirs are covered by the pod limit.
  const allEphemeralLimited = workloadContainers.every((ci) => quantity(rec(rec(ci.c.resources)?.limits)?.['ephemeral-storage']) !== undefined);
  if (!allEphemeralLimited) checkEmptyDirs(t, report);
  const longRunning = LONG_RUNNING_KINDS.has(o.kind);
  for (const ci of workloadContainers) {
    const s = rec(ci.c.securityContext);
    // SEC-01 read-only root filesystem.
    if (s?.readOnlyRootFilesystem !== true) {
      report(
        'SEC-01',
        join(ci.path, 'securityContext', 'readOnlyRootFilesystem'),
        `${ci.label} can write to its root filesystem, got readOnlyRootFilesystem ${fmt(s?.readOnlyRootFilesystem)}`,
        'set securityContext.readOnlyRootFilesystem: true and mount an emptyDir (with sizeLimit) where the app writes',
      );
    }
    checkEnv(ci, report);
    checkSecretArgs(ci, report);
    checkImage(ci, report);
    checkResources(ci, report, allEphemeralLimited);
    checkPipelines(ci, report);
    if (ci.list === 'containers' || ci.sidecar) checkPorts(ci, report);
    if (longRunning && ci.list === 'containers') checkProbes(ci, report);
  }
}

/** SEC-02 UID/GID: explicit, non-root (PSS-15 owns 0), 10000 or above. */
function checkIds(t: PodTemplate, containers: readonly ContainerInfo[], report: Report): void {
  checkInherited<unknown>(t, {
    containers,
    field: 'runAsUser',
    read: (s) => s?.runAsUser,
    ok: (v) => v === 0 || (typeof v === 'number' && v >= 10000),
    bad: (path, subject, v) =>
      report('SEC-02', path, `${subject} runs as a UID below 10000, which may match a host user, got runAsUser ${fmt(v)}`, 'use a UID of 10000 or above, or waive SEC-02 naming the UID the image needs'),
    unset: (path, subject, where) =>
      report('SEC-02', path, `${subject} leaves the UID to the image (often root), got runAsUser unset ${where}`, 'set securityContext.runAsUser to a UID of 10000 or above on the pod'),
  });
  checkInherited<unknown>(t, {
    containers,
    field: 'runAsGroup',
    read: (s) => s?.runAsGroup,
    ok: (v) => typeof v === 'number' && v >= 10000,
    bad: (path, subject, v) =>
      report(
        'SEC-02',
        path,
        v === 0 ? `${subject} runs with the root group, got runAsGroup 0` : `${subject} runs as a GID below 10000, which may match a host group, got runAsGroup ${fmt(v)}`,
        'use a GID of 10000 or above',
      ),
    unset: (path, subject, where) =>
      report('SEC-02', path, `${subject} leaves the GID to the image (often root), got runAsGroup unset ${where}`, 'set securityContext.runAsGroup to a GID of 10000 or above on the pod'),
  });
}

/** SEC-03 token automount (off, or on for a ServiceAccount some binding grants API access); SEC-04 dedicated ServiceAccount, non-deprecated field (existence is an invariant). */
function checkServiceAccount(t: PodTemplate, ctx: PolicyContext, report: Report): void {
  const o = t.obj;
  const saName = str(t.spec.serviceAccountName) ?? str(t.spec.serviceAccount) ?? 'default';
  const automount = t.spec.automountServiceAccountToken;
  const sa = ctx.serviceAccounts.get(`${o.ns}/${saName}`);
  const bound = ctx.boundServiceAccounts.has(`${o.ns}/${saName}`);
  if (automount === true && !bound) {
    report(
      'SEC-03',
      join(t.specPath, 'automountServiceAccountToken'),
      `pod mounts an API token although no RoleBinding grants ServiceAccount "${saName}" anything, got automountServiceAccountToken true`,
      'set automountServiceAccountToken: false, or bind the ServiceAccount to the Role the pod needs',
    );
  } else if (automount === undefined && sa?.manifest.automountServiceAccountToken !== false && !bound) {
    report(
      'SEC-03',
      join(t.specPath, 'automountServiceAccountToken'),
      `pod mounts an API token it does not need, got automountServiceAccountToken unset on the pod and on ServiceAccount "${saName}"`,
      'set automountServiceAccountToken: false on the pod (or on its ServiceAccount)',
    );
  }
  if (t.spec.serviceAccount !== undefined) {
    report('SEC-04', join(t.specPath, 'serviceAccount'), `pod uses the deprecated serviceAccount field, got ${fmt(t.spec.serviceAccount)}`, 'use serviceAccountName');
  }
  if (saName === 'default') {
    report(
      'SEC-04',
      join(t.specPath, 'serviceAccountName'),
      `pod runs as the namespace's default ServiceAccount, got serviceAccountName ${fmt(t.spec.serviceAccountName)}`,
      'create a dedicated ServiceAccount for the workload and set serviceAccountName',
    );
  }
}

/** RES-03 on emptyDir volumes without a size limit. */
function checkEmptyDirs(t: PodTemplate, report: Report): void {
  arr(t.spec.volumes).forEach((raw, i) => {
    const v = rec(raw);
    const emptyDir = v && v.emptyDir !== undefined ? (rec(v.emptyDir) ?? {}) : undefined;
    if (emptyDir && emptyDir.sizeLimit === undefined) {
      report(
        'RES-03',
        join(t.specPath, 'volumes', i, 'emptyDir', 'sizeLimit'),
        `emptyDir volume "${str(v?.name) ?? i}" has no size limit, so it can fill the node's disk, got sizeLimit unset`,
        'set emptyDir.sizeLimit, or an ephemeral-storage limit on every container',
      );
    }
  });
}

/** WKL-07 pipelines without pipefail (D-SKR-01). */
function checkPipelines(ci: ContainerInfo, report: Report): void {
  const argv = [...strings(ci.c.command), ...strings(ci.c.args)];
  const script = findShellScript(argv);
  const pipeline = script ? unsafePipeline(script) : undefined;
  if (script && pipeline) {
    report(
      'WKL-07',
      argvPath(ci, script.argIndex),
      `${ci.label} runs a ${script.shell} -c script whose pipeline hides failures of every command but the last, got ${fmt(pipeline.line)} without set -o pipefail`,
      'start the script with set -euo pipefail (bash and busybox ash support it) so a failed command fails the container',
    );
  }
}

/** NET-09 container ports. */
function checkPorts(ci: ContainerInfo, report: Report): void {
  arr(ci.c.ports).forEach((raw, j) => {
    const port = num(rec(raw)?.containerPort);
    if (port === undefined) return;
    if (port === 22) {
      report('NET-09', join(ci.path, 'ports', j, 'containerPort'), `${ci.label} exposes the ssh port, got containerPort 22`, 'remove the ssh server; use kubectl exec or debug containers');
    } else if (port < 1024) {
      report(
        'NET-09',
        join(ci.path, 'ports', j, 'containerPort'),
        `${ci.label} listens on a privileged port, which a non-root process cannot bind, got containerPort ${port}`,
        'listen on a port of 1024 or above (e.g. 8080) and map it in the Service',
      );
    }
  });
}

type Report = (id: CheckId, path: string, message: string, fix: string) => void;

function checkEnv(ci: ContainerInfo, report: Report): void {
  const seen = new Map<string, number>();
  arr(ci.c.env).forEach((raw, j) => {
    const e = rec(raw);
    const name = str(e?.name);
    if (!e || name === undefined) return;
    // WKL-03 duplicate names: the last one silently wins.
    const first = seen.get(name);
    if (first !== undefined) {
      report('WKL-03', join(ci.path, 'env', j, 'name'), `${ci.label} defines env var ${name} twice, got env[${first}] and env[${j}]`, 'keep one definition');
    } else seen.set(name, j);
    // SEC-05 literal secrets; the value itself is never echoed.
    const value = str(e.value);
    if (value !== undefined && value !== '') {
      const why = secretLikeValue(value);
      if (why) {
        report('SEC-05', join(ci.path, 'env', j, 'value'), `${ci.label} puts ${why} in the literal value of env var ${name}`, 'move it to a Secret and reference it (env[].valueFrom.secretKeyRef) or mount it as a file');
      } else if (looksLikeSecretName(name) && !/^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(value)) {
        report('SEC-05', join(ci.path, 'env', j, 'value'), `${ci.label} sets the secret-like env var ${name} to a literal value`, 'move it to a Secret and reference it (env[].valueFrom.secretKeyRef) or mount it as a file');
      }
    }
    // SEC-07 optional references: opt-in only (D-SKR-10).
    const from = rec(e.valueFrom);
    for (const [key, kind] of ENV_VALUE_SOURCES) {
      const ref = rec(from?.[key]);
      if (ref?.optional === true) {
        report(
          'SEC-07',
          join(ci.path, 'env', j, 'valueFrom', key, 'optional'),
          `${ci.label} reads env var ${name} from ${kind} ${fmt(ref.name)} key ${fmt(ref.key)} with optional: true, so the pod starts without it`,
          `remove optional (a missing key should stop the pod), or waive SEC-07 where the app handles its absence`,
        );
      }
    }
  });
  arr(ci.c.envFrom).forEach((raw, j) => {
    const e = rec(raw);
    const secretRef = rec(e?.secretRef);
    if (secretRef) {
      report(
        'SEC-05',
        join(ci.path, 'envFrom', j, 'secretRef'),
        `${ci.label} injects every key of Secret ${fmt(secretRef.name)} as env vars, readable in /proc and crash dumps`,
        'mount the Secret as files (a secret volume), or reference single keys with env[].valueFrom.secretKeyRef',
      );
    }
    for (const [key, kind] of ENV_FROM_SOURCES) {
      const ref = rec(e?.[key]);
      if (ref?.optional === true) {
        report(
          'SEC-07',
          join(ci.path, 'envFrom', j, key, 'optional'),
          `${ci.label} loads ${kind} ${fmt(ref.name)} with optional: true, so the pod starts without it`,
          'remove optional, or waive SEC-07 where the app handles its absence',
        );
      }
    }
  });
}

/** SEC-05: a Secret-backed env var expanded into argv (`--requirepass $(REDIS_PASSWORD)`) is readable in `ps` and /proc. */
function checkSecretArgs(ci: ContainerInfo, report: Report): void {
  const secretVars = new Set<string>();
  for (const raw of arr(ci.c.env)) {
    const e = rec(raw);
    if (e && typeof e.name === 'string' && rec(rec(e.valueFrom)?.secretKeyRef)) secretVars.add(e.name);
  }
  if (secretVars.size === 0) return;
  const argv = [...strings(ci.c.command), ...strings(ci.c.args)];
  argv.forEach((arg, i) => {
    for (const m of arg.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (secretVars.has(m[1]!)) {
        report(
          'SEC-05',
          argvPath(ci, i),
          `${ci.label} expands the Secret-backed env var ${m[1]} into its command line, where ps and /proc/*/cmdline show it`,
          'pass the secret in a mounted file (e.g. a config file from a secret volume) instead of argv',
        );
      }
    }
  });
}

function checkImage(ci: ContainerInfo, report: Report): void {
  const image = str(ci.c.image);
  const ref = image !== undefined ? parseImage(image) : undefined;
  if (!image || !ref) return;
  if (isMutableImage(ref)) {
    report(
      'IMG-01',
      join(ci.path, 'image'),
      ref.tag === 'latest' ? `${ci.label} uses the mutable tag latest, got ${fmt(image)}` : `${ci.label} has an untagged image, which pulls latest, got ${fmt(image)}`,
      'pin a version tag and a digest, like registry.example.com/app:1.2.3@sha256:<digest>',
    );
  }
  if (!ref.digest) {
    report('IMG-02', join(ci.path, 'image'), `${ci.label} image is not pinned by digest, got ${fmt(image)}`, 'append @sha256:<digest> (keep the tag for readability)');
    const written = str(ci.c.imagePullPolicy);
    const policy = written ?? (isMutableImage(ref) ? 'Always' : 'IfNotPresent');
    if (policy !== 'Always') {
      report(
        'IMG-03',
        join(ci.path, 'imagePullPolicy'),
        `${ci.label} pulls a mutable tag with ${policy}, so nodes may run different images under one tag, got imagePullPolicy ${written !== undefined ? fmt(written) : `unset (${policy} for a tagged image)`}`,
        'pin the image by digest (IfNotPresent is then safe) or set imagePullPolicy: Always',
      );
    }
  }
}

function checkResources(ci: ContainerInfo, report: Report, allEphemeralLimited: boolean): void {
  const res = rec(ci.c.resources);
  const requests = rec(res?.requests);
  const limits = rec(res?.limits);
  const path = (kind: 'requests' | 'limits', r: string) => join(ci.path, 'resources', kind, r);
  const cpuReq = quantity(requests?.cpu);
  const cpuLim = quantity(limits?.cpu);
  const memReq = quantity(requests?.memory);
  const memLim = quantity(limits?.memory);

  // RES-01: a CPU request is required; a CPU limit is a deliberate choice (no throttling), so its absence is not reported.
  if (cpuReq === undefined) report('RES-01', path('requests', 'cpu'), `${ci.label} sets no cpu request, got resources.requests.cpu ${fmt(requests?.cpu)}`, 'set resources.requests.cpu');
  if (cpuReq !== undefined && cpuLim !== undefined && cpuReq > cpuLim) {
    report('RES-01', path('requests', 'cpu'), `${ci.label} requests more cpu than its limit, got requests.cpu ${fmt(requests?.cpu)} above limits.cpu ${fmt(limits?.cpu)}`, 'lower the request or raise the limit');
  }
  // RES-02 memory.
  if (memReq === undefined) report('RES-02', path('requests', 'memory'), `${ci.label} sets no memory request, got resources.requests.memory ${fmt(requests?.memory)}`, 'set resources.requests.memory');
  if (memLim === undefined) report('RES-02', path('limits', 'memory'), `${ci.label} sets no memory limit, got resources.limits.memory ${fmt(limits?.memory)}`, 'set resources.limits.memory');
  if (memReq !== undefined && memLim !== undefined && memReq > memLim) {
    report('RES-02', path('requests', 'memory'), `${ci.label} requests more memory than its limit, got requests.memory ${fmt(requests?.memory)} above limits.memory ${fmt(limits?.memory)}`, 'lower the request or raise the limit');
  }
  if (memLim !== undefined) {
    const argv = [...strings(ci.c.command), ...strings(ci.c.args)];
    for (const knob of memoryKnobs(argv)) {
      if (knob.bytes > 0.75 * memLim) {
        report(
          'RES-02',
          argvPath(ci, knob.index),
          `${ci.label} lets the app use ${Math.round((knob.bytes / memLim) * 100)}% of its ${String(limits?.memory)} memory limit, so buffers and fork copy-on-write get it OOMKilled, got ${knob.text}`,
          `keep the app's memory setting at or below 75% of the limit (${formatBytes(Math.floor(0.75 * memLim))})`,
        );
      }
    }
  }
  // RES-03 ephemeral storage: needed where the container can write to its own layer.
  const ephReq = quantity(requests?.['ephemeral-storage']);
  const ephLim = quantity(limits?.['ephemeral-storage']);
  const writableRoot = rec(ci.c.securityContext)?.readOnlyRootFilesystem !== true;
  if (ephLim === undefined && writableRoot && !allEphemeralLimited) {
    report(
      'RES-03',
      path('limits', 'ephemeral-storage'),
      `${ci.label} has a writable root filesystem and no ephemeral-storage limit, so it can fill the node's disk, got resources.limits.ephemeral-storage unset`,
      'set ephemeral-storage requests and limits, or make the root filesystem read-only and write to sized emptyDirs',
    );
  }
  if (ephReq !== undefined && ephLim !== undefined && ephReq > ephLim) {
    report(
      'RES-03',
      path('requests', 'ephemeral-storage'),
      `${ci.label} requests more ephemeral-storage than its limit, got ${fmt(requests?.['ephemeral-storage'])} above ${fmt(limits?.['ephemeral-storage'])}`,
      'lower the request or raise the limit',
    );
  }
}

function checkProbes(ci: ContainerInfo, report: Report): void {
  const c = ci.c;
  const liveness = rec(c.livenessProbe);
  const readiness = rec(c.readinessProbe);
  const startup = rec(c.startupProbe);
  const timeout = (probe: Rec | undefined, field: string, id: CheckId) => {
    if (probe && probe.timeoutSeconds === undefined) {
      report(id, join(ci.path, field, 'timeoutSeconds'), `${ci.label} ${field} has no explicit timeout, got timeoutSeconds unset (the 1 s default)`, 'set timeoutSeconds to what the check needs under load');
    }
  };
  if (!liveness) {
    report('PRB-01', join(ci.path, 'livenessProbe'), `${ci.label} has no livenessProbe, so a hung process is never restarted`, 'add a livenessProbe on a declared port that checks only the process itself');
  } else {
    timeout(liveness, 'livenessProbe', 'PRB-01');
    const delay = num(liveness.initialDelaySeconds) ?? 0;
    if (!startup && delay >= 30) {
      report(
        'PRB-01',
        join(ci.path, 'startupProbe'),
        `${ci.label} delays its livenessProbe instead of using a startupProbe, got initialDelaySeconds ${delay}`,
        'add a startupProbe on the same port and drop the long initialDelaySeconds',
      );
    }
  }
  timeout(startup, 'startupProbe', 'PRB-01');
  if (!readiness) {
    report('PRB-02', join(ci.path, 'readinessProbe'), `${ci.label} has no readinessProbe, so it gets traffic before it can serve`, 'add a readinessProbe on a declared port');
  } else {
    timeout(readiness, 'readinessProbe', 'PRB-02');
  }
  if (liveness && readiness && handlerKey(liveness) === handlerKey(readiness)) {
    report(
      'PRB-03',
      join(ci.path, 'readinessProbe'),
      `${ci.label} uses one check for readiness and liveness, so a dependency outage restarts every pod, got ${describeHandler(liveness)} for both`,
      'give liveness its own cheap endpoint (e.g. /livez) that does not check dependencies',
    );
  }
}
