import type { CheckId } from '../internal/checks.js';
import { join } from '../internal/paths.js';
import type { ContainerInfo, PodTemplate } from '../internal/pod-templates.js';
import { arr, fmt, rec, str, type Rec } from '../internal/values.js';
import { atLeast, type PolicyContext } from './context.js';

/**
 * Pod Security Standards, every Baseline and Restricted control (PSS-01 to
 * PSS-17), on one pod template. Each violation is reported once, under the
 * most specific control: a hostPath volume is PSS-05 (not also PSS-12), a
 * capability outside the baseline set is PSS-04 (not also PSS-17), an
 * `Unconfined` seccomp profile is PSS-10 (not also PSS-16).
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */

/**
 * Capabilities Baseline allows in `capabilities.add`. Pod Security Admission
 * compares capability names as exact, case-sensitive strings (no `CAP_`
 * prefix stripping, no case folding), and so does this module: `cap_chown`
 * or `CAP_CHOWN` is not `CHOWN`, and `drop: ["all"]` is not `drop: ["ALL"]`.
 */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Sysctls Baseline allows, with the Kubernetes minor version that added each. */
const SAFE_SYSCTLS: readonly (readonly [string, string])[] = [
  ['kernel.shm_rmid_forced', '1.0'],
  ['net.ipv4.ip_local_port_range', '1.0'],
  ['net.ipv4.ip_unprivileged_port_start', '1.22'],
  ['net.ipv4.tcp_syncookies', '1.0'],
  ['net.ipv4.ping_group_range', '1.0'],
  ['net.ipv4.ip_local_reserved_ports', '1.27'],
  ['net.ipv4.tcp_keepalive_time', '1.29'],
  ['net.ipv4.tcp_fin_timeout', '1.29'],
  ['net.ipv4.tcp_keepalive_intvl', '1.29'],
  ['net.ipv4.tcp_keepalive_probes', '1.29'],
];

const sysctlCache = new Map<string, ReadonlySet<string>>();

/** The safe sysctls of a version, computed once per version. */
function safeSysctls(version: PolicyContext['version']): ReadonlySet<string> {
  let set = sysctlCache.get(version);
  if (!set) {
    set = new Set(SAFE_SYSCTLS.filter(([, since]) => atLeast(version, since)).map(([name]) => name));
    sysctlCache.set(version, set);
  }
  return set;
}

/** Volume types Restricted allows (hostPath is reported as PSS-05). */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** Restricted: the one capability a container may add, and the drop entry it must carry. */
const RESTRICTED_ADD = 'NET_BIND_SERVICE';
const DROP_ALL = 'ALL';

/** The name a runtime may read `cap` as (upper case, without `CAP_`), which pod security does not. */
function runtimeName(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** A note for names that a runtime accepts as an allowed capability but pod security does not. */
function exactNameNote(caps: readonly string[]): string {
  const aliases = caps.filter((c) => BASELINE_CAPABILITIES.has(runtimeName(c)));
  if (aliases.length === 0) return '';
  return ` (pod security compares names exactly: ${aliases.map((c) => `${c} is not ${runtimeName(c)}`).join(', ')})`;
}

function sc(c: Rec): Rec | undefined {
  return rec(c.securityContext);
}

/**
 * Reports a setting that the pod's securityContext provides and a
 * container's may override (runAsNonRoot, seccompProfile, runAsUser): a bad
 * pod value is reported on the pod when a container inherits it; a bad
 * container value on the container; a value unset everywhere once on the
 * pod, or per container when only some containers leave it unset.
 */
export function checkInherited<T>(
  t: PodTemplate,
  options: {
    readonly containers: readonly ContainerInfo[];
    /** Field path under `securityContext` (`runAsNonRoot`, `seccompProfile.type`). */
    readonly field: string;
    readonly read: (securityContext: Rec | undefined) => T | undefined;
    /** Whether a set value passes. */
    readonly ok: (value: T) => boolean;
    /**
     * Reports a bad pod value even when every container overrides it, as Pod
     * Security Admission does for runAsNonRoot and seccompProfile (a pod-level
     * `runAsNonRoot: false` is a violation whatever the containers set).
     */
    readonly podAlways?: boolean;
    /** Reports a bad set value; `overridden` when it is the pod's and every container overrides it. */
    readonly bad: (path: string, subject: string, value: T, overridden: boolean) => void;
    /** Reports an unset value; `where` reads "on the pod and every container" or "on the container and the pod". */
    readonly unset: (path: string, subject: string, where: string) => void;
  },
): void {
  const podSc = rec(t.spec.securityContext);
  const podValue = options.read(podSc);
  const podPath = join(t.specPath, 'securityContext', ...options.field.split('.'));
  const inheriting = options.containers.filter((ci) => options.read(sc(ci.c)) === undefined);
  if (podValue !== undefined && !options.ok(podValue) && (inheriting.length > 0 || options.podAlways === true)) {
    options.bad(podPath, 'pod', podValue, inheriting.length === 0);
  }
  for (const ci of options.containers) {
    const v = options.read(sc(ci.c));
    if (v !== undefined && !options.ok(v)) options.bad(join(ci.path, 'securityContext', ...options.field.split('.')), ci.label, v, false);
  }
  if (podValue !== undefined || inheriting.length === 0) return;
  if (inheriting.length === options.containers.length) {
    options.unset(podPath, 'pod', 'on the pod and every container');
  } else {
    for (const ci of inheriting) options.unset(join(ci.path, 'securityContext', ...options.field.split('.')), ci.label, 'on the container and the pod');
  }
}

/** Reports one finding of a Pod Security control on the template's object. */
type Report = (id: CheckId, path: string, message: string, fix: string) => void;

/** What every part of {@link checkPodSecurity} needs. */
interface PodCheck {
  readonly t: PodTemplate;
  readonly ctx: PolicyContext;
  readonly report: Report;
  readonly podSc: Rec | undefined;
  readonly podPath: (...keys: string[]) => string;
}

// Pod Security levels whose admission rejects a Baseline violation.
const ENFORCING_LEVELS = new Set(['baseline', 'restricted']);

/** Runs PSS-01 to PSS-17 on a pod template. */
export function checkPodSecurity(t: PodTemplate, ctx: PolicyContext): void {
  const o = t.obj;
  // PSS-07 and PSS-08 are Medium controls, but Pod Security admission rejects
  // the pod where its namespace enforces baseline or restricted.
  const enforced = ENFORCING_LEVELS.has(ctx.enforcement.get(o.ns) ?? '');
  const report: Report = (id, path, message, fix) => {
    if (enforced && (id === 'PSS-07' || id === 'PSS-08')) {
      ctx.sink.addStated('High', o, id, path, `${message}, which Pod Security admission of namespace ${o.ns} (enforce ${ctx.enforcement.get(o.ns)}) rejects`, fix);
    } else {
      ctx.sink.add(o, id, path, message, fix);
    }
  };
  const podSc = rec(t.spec.securityContext);
  const c: PodCheck = { t, ctx, report, podSc, podPath: (...keys) => join(t.specPath, 'securityContext', ...keys) };
  checkHost(c);
  checkVolumes(c);
  checkPodProfiles(c);
  checkSysctls(c);
  checkNonRoot(c);
  for (const ci of t.containers) {
    checkCapabilities(c, ci);
    checkContainer(c, ci);
  }
}

/** PSS-01 HostProcess, PSS-02 host namespaces. */
function checkHost({ t, report, podSc, podPath }: PodCheck): void {
  if (rec(podSc?.windowsOptions)?.hostProcess === true) {
    report('PSS-01', podPath('windowsOptions', 'hostProcess'), 'pod runs as a windows hostProcess, got hostProcess true', 'remove windowsOptions.hostProcess');
  }
  for (const ci of t.containers) {
    if (rec(sc(ci.c)?.windowsOptions)?.hostProcess === true) {
      report('PSS-01', cPath(ci, 'windowsOptions', 'hostProcess'), `${ci.label} runs as a windows hostProcess, got hostProcess true`, 'remove windowsOptions.hostProcess');
    }
  }
  const hostNs: readonly (readonly [string, string])[] = [
    ['hostNetwork', 'shares the host network namespace'],
    ['hostPID', 'shares the host PID namespace'],
    ['hostIPC', 'shares the host IPC namespace'],
    ['shareProcessNamespace', 'shares one process namespace between its containers'],
  ];
  for (const [field, what] of hostNs) {
    if (t.spec[field] === true) report('PSS-02', join(t.specPath, field), `pod ${what}, got ${field} true`, `remove ${field} or set it to false`);
  }
}

/** PSS-05 hostPath volumes, PSS-12 volume types. */
function checkVolumes({ t, report }: PodCheck): void {
  arr(t.spec.volumes).forEach((raw, i) => {
    const v = rec(raw);
    if (!v) return;
    const name = str(v.name) ?? `#${i}`;
    const hostPath = rec(v.hostPath);
    if (hostPath) {
      report(
        'PSS-05',
        join(t.specPath, 'volumes', i, 'hostPath'),
        `volume "${name}" mounts the host path ${fmt(hostPath.path)}`,
        'use an emptyDir, configMap, secret, projected or persistentVolumeClaim volume; a node agent needs a namespace with a documented pod security exception',
      );
      return;
    }
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type !== undefined && !RESTRICTED_VOLUME_TYPES.has(type)) {
      report(
        'PSS-12',
        join(t.specPath, 'volumes', i, type),
        `volume "${name}" has type ${type}, which pod security restricted forbids`,
        'use configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret',
      );
    }
  });
}

/** PSS-07 AppArmor (annotations before 1.30, fields after), PSS-08 SELinux and PSS-10 seccomp Unconfined, pod level. */
function checkPodProfiles({ t, report, podSc, podPath }: PodCheck): void {
  for (const [key, value] of Object.entries(t.annotations)) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      report(
        'PSS-07',
        join(t.metaPath, 'annotations', key),
        `container "${key.slice(APPARMOR_ANNOTATION.length)}" runs with AppArmor profile ${fmt(value)}`,
        'use runtime/default or a localhost/ profile',
      );
    }
  }
  if (rec(podSc?.appArmorProfile)?.type === 'Unconfined') {
    report('PSS-07', podPath('appArmorProfile', 'type'), 'pod runs without AppArmor, got appArmorProfile.type "Unconfined"', 'use RuntimeDefault or Localhost');
  }
  checkSeLinux(rec(podSc?.seLinuxOptions), 'pod', podPath('seLinuxOptions'), report);
  if (rec(podSc?.seccompProfile)?.type === 'Unconfined') {
    report('PSS-10', podPath('seccompProfile', 'type'), 'pod disables seccomp, got seccompProfile.type "Unconfined"', 'use seccompProfile.type RuntimeDefault (or Localhost)');
  }
  for (const [key, value] of Object.entries(t.annotations)) {
    if ((key === 'seccomp.security.alpha.kubernetes.io/pod' || key.startsWith('container.seccomp.security.alpha.kubernetes.io/')) && value === 'unconfined') {
      report('PSS-10', join(t.metaPath, 'annotations', key), `seccomp is disabled by annotation ${key}, got "unconfined"`, 'remove the annotation and set securityContext.seccompProfile.type: RuntimeDefault');
    }
  }
}

/** PSS-11 sysctls. */
function checkSysctls({ t, ctx, report, podSc }: PodCheck): void {
  const sysctls = arr(podSc?.sysctls);
  const allowed = sysctls.length > 0 ? safeSysctls(ctx.version) : undefined;
  sysctls.forEach((raw, i) => {
    const name = str(rec(raw)?.name);
    if (name !== undefined && !allowed?.has(name)) {
      report(
        'PSS-11',
        join(t.specPath, 'securityContext', 'sysctls', i, 'name'),
        `pod sets sysctl ${fmt(name)}, which is not in the safe set of kubernetes ${ctx.version}`,
        'remove it; only namespaced safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...) are allowed',
      );
    }
  });
}

/**
 * PSS-14 runAsNonRoot, PSS-16 seccomp profile (pod or every container),
 * PSS-15 runAsUser 0 on the pod. As in Pod Security Admission, a bad pod
 * value is a violation even when every container overrides it.
 */
function checkNonRoot({ t, report, podSc, podPath }: PodCheck): void {
  checkInherited<unknown>(t, {
    containers: t.containers,
    field: 'runAsNonRoot',
    read: (s) => s?.runAsNonRoot,
    ok: (v) => v === true,
    podAlways: true,
    bad: (path, subject, v, overridden) =>
      report(
        'PSS-14',
        path,
        overridden
          ? `${subject} sets runAsNonRoot ${fmt(v)}, which pod security rejects even though every container sets runAsNonRoot true`
          : `${subject} may run as root, got runAsNonRoot ${fmt(v)}`,
        'set securityContext.runAsNonRoot: true on the pod',
      ),
    unset: (path, subject, where) => report('PSS-14', path, `${subject} may run as root, got runAsNonRoot unset ${where}`, 'set securityContext.runAsNonRoot: true on the pod'),
  });
  checkInherited<unknown>(t, {
    containers: t.containers,
    field: 'seccompProfile.type',
    read: (s) => rec(s?.seccompProfile)?.type,
    // Unconfined is PSS-10's; this control asks for a profile to be set.
    ok: (v) => v === 'RuntimeDefault' || v === 'Localhost' || v === 'Unconfined',
    podAlways: true,
    bad: (path, subject, v) => report('PSS-16', path, `${subject} has an invalid seccomp profile, got seccompProfile.type ${fmt(v)}`, 'set securityContext.seccompProfile.type: RuntimeDefault on the pod'),
    unset: (path, subject, where) => report('PSS-16', path, `${subject} runs without a seccomp profile, got seccompProfile.type unset ${where}`, 'set securityContext.seccompProfile.type: RuntimeDefault on the pod'),
  });
  if (podSc?.runAsUser === 0) report('PSS-15', podPath('runAsUser'), 'pod runs as root, got runAsUser 0', 'set runAsUser to a non-zero UID (10000 or above)');
}

function cPath(ci: ContainerInfo, ...keys: string[]): string {
  return join(ci.path, 'securityContext', ...keys);
}

/** PSS-04 baseline and PSS-17 restricted capabilities; names compared exactly, as Pod Security Admission does. */
function checkCapabilities({ report }: PodCheck, ci: ContainerInfo): void {
  const caps = rec(sc(ci.c)?.capabilities);
  const added = arr(caps?.add).filter((c): c is string => typeof c === 'string');
  const outsideBaseline = added.filter((c) => !BASELINE_CAPABILITIES.has(c));
  const beyondRestricted = added.filter((c) => BASELINE_CAPABILITIES.has(c) && c !== RESTRICTED_ADD);
  if (outsideBaseline.length > 0) {
    report(
      'PSS-04',
      cPath(ci, 'capabilities', 'add'),
      `${ci.label} adds capabilities outside the baseline set, got ${outsideBaseline.join(', ')}${exactNameNote(outsideBaseline)}`,
      'remove them; restricted allows adding only NET_BIND_SERVICE, written exactly so (upper case, no CAP_ prefix)',
    );
  }
  if (beyondRestricted.length > 0) {
    report('PSS-17', cPath(ci, 'capabilities', 'add'), `${ci.label} adds capabilities restricted forbids, got ${beyondRestricted.join(', ')}`, 'remove them; restricted allows adding only NET_BIND_SERVICE');
  }
  const drop = arr(caps?.drop).filter((c): c is string => typeof c === 'string');
  if (!drop.includes(DROP_ALL)) {
    const near = drop.filter((c) => runtimeName(c) === DROP_ALL);
    report(
      'PSS-17',
      cPath(ci, 'capabilities', 'drop'),
      near.length > 0
        ? `${ci.label} does not drop ALL as pod security reads it (names compare exactly), got capabilities.drop ${drop.join(', ')}`
        : `${ci.label} keeps the runtime's default capabilities (NET_RAW among them), got capabilities.drop ${drop.length > 0 ? drop.join(', ') : 'unset'}`,
      'set securityContext.capabilities.drop: ["ALL"]',
    );
  }
}

/** The container-level controls: PSS-03, -06, -07, -08, -09, -10, -13, -15. */
function checkContainer({ report }: PodCheck, ci: ContainerInfo): void {
  const s = sc(ci.c);
  if (s?.privileged === true) report('PSS-03', cPath(ci, 'privileged'), `${ci.label} is privileged, got privileged true`, 'remove privileged or set it to false');
  arr(ci.c.ports).forEach((raw, j) => {
    const hostPort = rec(raw)?.hostPort;
    if (typeof hostPort === 'number' && hostPort !== 0) {
      report('PSS-06', join(ci.path, 'ports', j, 'hostPort'), `${ci.label} binds host port ${hostPort}`, 'remove hostPort and expose the pod through a Service');
    }
  });
  if (rec(s?.appArmorProfile)?.type === 'Unconfined') {
    report('PSS-07', cPath(ci, 'appArmorProfile', 'type'), `${ci.label} runs without AppArmor, got appArmorProfile.type "Unconfined"`, 'use RuntimeDefault or Localhost');
  }
  checkSeLinux(rec(s?.seLinuxOptions), ci.label, cPath(ci, 'seLinuxOptions'), report);
  if (s?.procMount !== undefined && s.procMount !== 'Default') {
    report('PSS-09', cPath(ci, 'procMount'), `${ci.label} unmasks /proc, got procMount ${fmt(s.procMount)}`, 'remove procMount (Default)');
  }
  if (rec(s?.seccompProfile)?.type === 'Unconfined') {
    report('PSS-10', cPath(ci, 'seccompProfile', 'type'), `${ci.label} disables seccomp, got seccompProfile.type "Unconfined"`, 'use seccompProfile.type RuntimeDefault (or Localhost)');
  }
  if (s?.allowPrivilegeEscalation !== false) {
    report(
      'PSS-13',
      cPath(ci, 'allowPrivilegeEscalation'),
      `${ci.label} may escalate privileges, got allowPrivilegeEscalation ${fmt(s?.allowPrivilegeEscalation)}`,
      'set securityContext.allowPrivilegeEscalation: false',
    );
  }
  if (s?.runAsUser === 0) report('PSS-15', cPath(ci, 'runAsUser'), `${ci.label} runs as root, got runAsUser 0`, 'set runAsUser to a non-zero UID (10000 or above)');
}

function checkSeLinux(opts: Rec | undefined, subject: string, path: string, report: Report): void {
  if (!opts) return;
  const type = opts.type;
  if (type !== undefined && !(typeof type === 'string' && SELINUX_TYPES.has(type))) {
    report('PSS-08', join(path, 'type'), `${subject} sets SELinux type ${fmt(type)}`, 'remove it or use container_t, container_init_t, container_kvm_t or container_engine_t');
  }
  for (const field of ['user', 'role'] as const) {
    if (opts[field] !== undefined && opts[field] !== '') {
      report('PSS-08', join(path, field), `${subject} sets a custom SELinux ${field}, got ${fmt(opts[field])}`, `remove seLinuxOptions.${field}`);
    }
  }
}
