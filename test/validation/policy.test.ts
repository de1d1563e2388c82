import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseQuantity, QUANTITY_PATTERN } from '../../lib/core/quantity.js';
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, labelMap } from '../../lib/core/schemas.js';
import { checkExposure, exposureSchema, isSnippetAnnotation, KNOWN_NGINX_ANNOTATIONS } from '../../lib/exposure/exposure.js';
import { CHECK_SEVERITY, isCheckId, severitiesOf, STATED_SEVERITIES } from '../../lib/validation/internal/checks.js';
import { verify } from '../../lib/validation/verify.js';
import { loadSeed, seedStems } from './seed-loader.js';
import {
  checkPolicies,
  DRAIN_SECONDS_ANNOTATION,
  POD_SECURITY_EXCEPTION_ANNOTATION,
  WAIVER_ANNOTATION_PREFIX,
} from '../../lib/validation/policy/index.js';
import { isBlocking, type KubernetesVersion } from '../../lib/validation/types.js';
import { at, DIGEST, found, get, goodBundle, goodPodSpec, manifests, NS, type M } from './fixtures.js';

const P = 'spec.template.spec';
const C = 'spec.template.spec.containers[0]';

function policy(bundle: M[], kubernetesVersion: KubernetesVersion = '1.28') {
  return checkPolicies(manifests(bundle), { kubernetesVersion });
}

/** The good bundle with one change, and the findings of one check on it. */
function check(id: string, change: (b: M[]) => void, kubernetesVersion: KubernetesVersion = '1.28') {
  const b = goodBundle();
  change(b);
  return found(policy(b, kubernetesVersion), id);
}

const dep = (b: M[]) => get(b, 'Deployment', 'api');
const pod = (b: M[]) => dep(b).spec.template.spec;
const ctr = (b: M[]) => pod(b).containers[0];
const sc = (b: M[]) => ctr(b).securityContext;
const onApi = (id: string, severity: 'Critical' | 'High' | 'Medium' | 'Low', path: string, message: string) => at(id, severity, 'Deployment', 'api', path, message);

/** What PSS-07 and PSS-08 add where the namespace enforces Pod Security (the reference bundle's enforces restricted). */
const REJECTED = `, which Pod Security admission of namespace ${NS} (enforce restricted) rejects`;
/** Drops the namespace's Pod Security enforcement. */
const unenforced = (b: M[]) => delete get(b, 'Namespace', NS).metadata.labels['pod-security.kubernetes.io/enforce'];

describe('checkPolicies', () => {
  it('reports nothing on the reference bundle', () => {
    expect(policy(goodBundle())).toEqual([]);
  });

  it('uses exactly the severities of CHECKS.md', () => {
    const table = readFileSync(new URL('../fixtures/CHECKS.md', import.meta.url), 'utf8');
    const rows = [...table.matchAll(/^\| ([A-Z]+-\d\d) \|.*\| ([CHML]) \|[^|]*\|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toHaveLength(70);
    const letter = { Critical: 'C', High: 'H', Medium: 'M', Low: 'L' } as const;
    for (const [id, sev] of rows) {
      expect([id, letter[CHECK_SEVERITY[id as keyof typeof CHECK_SEVERITY]]]).toEqual([id, sev]);
    }
  });

  it('gives every finding its check\'s severity, or one the check documents stating (High where the API server or admission rejects)', () => {
    // The checks that state their severity may state the recorded one (CHECKS.md) or High, for findings admission certainly rejects.
    expect(Object.keys(STATED_SEVERITIES)).toEqual(['WKL-06', 'RES-04', 'SEC-04', 'WKL-04', 'WKL-05', 'AVL-07', 'PSS-07', 'PSS-08']);
    for (const [id, severities] of Object.entries(STATED_SEVERITIES)) expect(severities).toEqual([CHECK_SEVERITY[id as keyof typeof STATED_SEVERITIES], 'High']);
    expect(CHECK_SEVERITY['WKL-06']).toBe('Medium');
    expect(severitiesOf('WKL-06')).toEqual(['Medium', 'High']);
    expect(severitiesOf('NET-02')).toEqual(['High']);
    const bundles = [
      ...seedStems().map((stem) => loadSeed(stem).manifests),
      manifests([
        { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: NS } },
        { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: NS }, spec: { maxUnavailable: 1 } },
        { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema', metadata: { name: 'f' }, spec: { priorityLevelConfiguration: { name: 'p' } } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: NS }, data: { a: 1 } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: NS } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: NS } },
      ]),
    ];
    const wkl06: { severity: string; message: string }[] = [];
    for (const bundle of bundles) {
      for (const f of verify(bundle, { kubernetesVersion: '1.28' }).findings) {
        expect(isCheckId(f.checkId), f.checkId).toBe(true);
        if (!isCheckId(f.checkId)) continue;
        expect(severitiesOf(f.checkId), `${f.checkId} ${f.message}`).toContain(f.severity);
        if (f.checkId === 'WKL-06') wkl06.push({ severity: f.severity, message: f.message });
      }
    }
    // Medium: deprecated but served, or defined twice; High: what the API server rejects.
    const medium = wkl06.filter((f) => f.severity === 'Medium').map((f) => f.message);
    const high = wkl06.filter((f) => f.severity === 'High').map((f) => f.message);
    expect(medium.length).toBeGreaterThan(1);
    for (const m of medium) expect(m).toMatch(/is deprecated|is defined twice/);
    expect(high).toEqual(expect.arrayContaining(['missing required field "spec"', expect.stringMatching(/^apiVersion "policy\/v1beta1" of PodDisruptionBudget is not served by kubernetes 1.28/), expect.stringMatching(/^invalid name "Bad_Name"/)]));
    for (const m of high) expect(m).not.toMatch(/is deprecated|is defined twice/);
  });

  it('gives every finding a fix', () => {
    const b = goodBundle();
    delete pod(b).securityContext;
    delete ctr(b).securityContext;
    const findings = policy(b);
    expect(findings.length).toBeGreaterThan(5);
    for (const f of findings) expect(f.fix, f.checkId).toMatch(/^[a-z].{8,}/);
  });

  describe('Pod Security Standards', () => {
    it('PSS-01 rejects a windows hostProcess container', () => {
      expect(check('PSS-01', (b) => (sc(b).windowsOptions = { hostProcess: true }))).toEqual([
        onApi('PSS-01', 'High', `${C}.securityContext.windowsOptions.hostProcess`, 'container "api" runs as a windows hostProcess, got hostProcess true'),
      ]);
    });

    it('PSS-02 rejects host namespaces and a shared process namespace', () => {
      expect(
        check('PSS-02', (b) => {
          pod(b).hostNetwork = true;
          pod(b).hostPID = true;
          pod(b).hostIPC = false;
          pod(b).shareProcessNamespace = true;
        }),
      ).toEqual([
        onApi('PSS-02', 'Critical', `${P}.hostNetwork`, 'pod shares the host network namespace, got hostNetwork true'),
        onApi('PSS-02', 'Critical', `${P}.hostPID`, 'pod shares the host PID namespace, got hostPID true'),
        onApi('PSS-02', 'Critical', `${P}.shareProcessNamespace`, 'pod shares one process namespace between its containers, got shareProcessNamespace true'),
      ]);
    });

    it('PSS-03 rejects a privileged container', () => {
      expect(check('PSS-03', (b) => (sc(b).privileged = true))).toEqual([onApi('PSS-03', 'Critical', `${C}.securityContext.privileged`, 'container "api" is privileged, got privileged true')]);
    });

    it('PSS-04 rejects capabilities outside the baseline set', () => {
      expect(check('PSS-04', (b) => (sc(b).capabilities.add = ['cap_sys_admin', 'NET_BIND_SERVICE', 'NET_ADMIN']))).toEqual([
        onApi('PSS-04', 'High', `${C}.securityContext.capabilities.add`, 'container "api" adds capabilities outside the baseline set, got cap_sys_admin, NET_ADMIN'),
      ]);
    });

    it('PSS-04 compares capability names exactly, as Pod Security Admission does (no CAP_ prefix or case folding)', () => {
      // PSA: capabilities_allowed_1_0.Has(string(c)) and c != "NET_BIND_SERVICE", both case-sensitive.
      for (const alias of ['cap_net_bind_service', 'CAP_NET_BIND_SERVICE', 'net_bind_service']) {
        const b = goodBundle();
        sc(b).capabilities.add = [alias];
        const pss = found(policy(b)).filter((f) => f.checkId.startsWith('PSS'));
        expect(pss, alias).toEqual([
          onApi(
            'PSS-04',
            'High',
            `${C}.securityContext.capabilities.add`,
            `container "api" adds capabilities outside the baseline set, got ${alias} (pod security compares names exactly: ${alias} is not NET_BIND_SERVICE)`,
          ),
        ]);
      }
      expect(check('PSS-04', (b) => (sc(b).capabilities.add = ['CAP_CHOWN']))).toEqual([
        onApi('PSS-04', 'High', `${C}.securityContext.capabilities.add`, 'container "api" adds capabilities outside the baseline set, got CAP_CHOWN (pod security compares names exactly: CAP_CHOWN is not CHOWN)'),
      ]);
      // The exact name passes both levels.
      const exact = goodBundle();
      sc(exact).capabilities.add = ['NET_BIND_SERVICE'];
      expect(found(policy(exact)).filter((f) => f.checkId.startsWith('PSS'))).toEqual([]);
    });

    it('PSS-05 rejects hostPath volumes, and reports them only once', () => {
      const b = goodBundle();
      pod(b).volumes.push({ name: 'docker', hostPath: { path: '/var/run/docker.sock' } });
      const all = found(policy(b));
      expect(all.filter((f) => f.checkId.startsWith('PSS'))).toEqual([
        onApi('PSS-05', 'Critical', `${P}.volumes[1].hostPath`, 'volume "docker" mounts the host path "/var/run/docker.sock"'),
      ]);
    });

    it('PSS-06 rejects host ports', () => {
      expect(check('PSS-06', (b) => (ctr(b).ports[0].hostPort = 8080))).toEqual([onApi('PSS-06', 'High', `${C}.ports[0].hostPort`, 'container "api" binds host port 8080')]);
    });

    it('PSS-07 rejects an unconfined AppArmor profile, by annotation or field', () => {
      expect(
        check('PSS-07', (b) => {
          dep(b).spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'unconfined';
          sc(b).appArmorProfile = { type: 'Unconfined' };
        }),
      ).toEqual([
        onApi('PSS-07', 'High', 'spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/api"]', `container "api" runs with AppArmor profile "unconfined"${REJECTED}`),
        onApi('PSS-07', 'High', `${C}.securityContext.appArmorProfile.type`, `container "api" runs without AppArmor, got appArmorProfile.type "Unconfined"${REJECTED}`),
      ]);
      // Medium where the namespace does not enforce baseline or restricted: nothing rejects the pod.
      expect(
        check('PSS-07', (b) => {
          unenforced(b);
          sc(b).appArmorProfile = { type: 'Unconfined' };
        }),
      ).toEqual([onApi('PSS-07', 'Medium', `${C}.securityContext.appArmorProfile.type`, 'container "api" runs without AppArmor, got appArmorProfile.type "Unconfined"')]);
      expect(check('PSS-07', (b) => (dep(b).spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/api'] = 'localhost/agent'))).toEqual([]);
    });

    it('PSS-08 rejects custom SELinux types, users and roles', () => {
      expect(check('PSS-08', (b) => (pod(b).securityContext.seLinuxOptions = { type: 'spc_t', user: 'system_u', level: 's0:c1' }))).toEqual([
        onApi('PSS-08', 'High', `${P}.securityContext.seLinuxOptions.type`, `pod sets SELinux type "spc_t"${REJECTED}`),
        onApi('PSS-08', 'High', `${P}.securityContext.seLinuxOptions.user`, `pod sets a custom SELinux user, got "system_u"${REJECTED}`),
      ]);
      expect(
        check('PSS-08', (b) => {
          unenforced(b);
          pod(b).securityContext.seLinuxOptions = { type: 'spc_t' };
        }),
      ).toEqual([onApi('PSS-08', 'Medium', `${P}.securityContext.seLinuxOptions.type`, 'pod sets SELinux type "spc_t"')]);
      expect(check('PSS-08', (b) => (sc(b).seLinuxOptions = { type: 'container_init_t', level: 's0:c1' }))).toEqual([]);
    });

    it('PSS-09 rejects an unmasked /proc', () => {
      expect(check('PSS-09', (b) => (sc(b).procMount = 'Unmasked'))).toEqual([onApi('PSS-09', 'High', `${C}.securityContext.procMount`, 'container "api" unmasks /proc, got procMount "Unmasked"')]);
    });

    it('PSS-10 rejects an Unconfined seccomp profile, and PSS-16 does not repeat it', () => {
      const b = goodBundle();
      pod(b).securityContext.seccompProfile = { type: 'Unconfined' };
      delete sc(b).seccompProfile;
      expect(found(policy(b)).filter((f) => f.checkId === 'PSS-10' || f.checkId === 'PSS-16')).toEqual([
        onApi('PSS-10', 'High', `${P}.securityContext.seccompProfile.type`, 'pod disables seccomp, got seccompProfile.type "Unconfined"'),
      ]);
    });

    it('PSS-11 allows only the safe sysctls of the target version', () => {
      const sysctls = (b: M[]) =>
        (pod(b).securityContext.sysctls = [
          { name: 'net.ipv4.tcp_keepalive_time', value: '600' },
          { name: 'kernel.msgmax', value: '65536' },
          { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
        ]);
      expect(check('PSS-11', sysctls, '1.28')).toEqual([
        onApi('PSS-11', 'High', `${P}.securityContext.sysctls[0].name`, 'pod sets sysctl "net.ipv4.tcp_keepalive_time", which is not in the safe set of kubernetes 1.28'),
        onApi('PSS-11', 'High', `${P}.securityContext.sysctls[1].name`, 'pod sets sysctl "kernel.msgmax", which is not in the safe set of kubernetes 1.28'),
      ]);
      expect(check('PSS-11', sysctls, '1.29')).toEqual([
        onApi('PSS-11', 'High', `${P}.securityContext.sysctls[1].name`, 'pod sets sysctl "kernel.msgmax", which is not in the safe set of kubernetes 1.29'),
      ]);
    });

    it('PSS-12 allows only the restricted volume types', () => {
      expect(check('PSS-12', (b) => pod(b).volumes.push({ name: 'share', nfs: { server: 'nfs', path: '/x' } }))).toEqual([
        onApi('PSS-12', 'High', `${P}.volumes[1].nfs`, 'volume "share" has type nfs, which pod security restricted forbids'),
      ]);
    });

    it('PSS-13 requires allowPrivilegeEscalation: false on every container, init containers included', () => {
      expect(
        check('PSS-13', (b) => {
          delete sc(b).allowPrivilegeEscalation;
          pod(b).initContainers = [{ ...ctr(b), name: 'migrate', securityContext: { ...sc(b), allowPrivilegeEscalation: true } }];
        }),
      ).toEqual([
        onApi('PSS-13', 'Critical', `${P}.initContainers[0].securityContext.allowPrivilegeEscalation`, 'init container "migrate" may escalate privileges, got allowPrivilegeEscalation true'),
        onApi('PSS-13', 'Critical', `${C}.securityContext.allowPrivilegeEscalation`, 'container "api" may escalate privileges, got allowPrivilegeEscalation unset'),
      ]);
    });

    it('PSS-14 requires runAsNonRoot on the pod or every container', () => {
      expect(
        check('PSS-14', (b) => {
          delete pod(b).securityContext.runAsNonRoot;
          delete sc(b).runAsNonRoot;
        }),
      ).toEqual([onApi('PSS-14', 'Critical', `${P}.securityContext.runAsNonRoot`, 'pod may run as root, got runAsNonRoot unset on the pod and every container')]);
      // One container covered, one not: the finding names the uncovered one.
      expect(
        check('PSS-14', (b) => {
          delete pod(b).securityContext.runAsNonRoot;
          pod(b).containers.push({ ...ctr(b), name: 'sidecar', securityContext: { ...sc(b), runAsNonRoot: undefined } });
        }),
      ).toEqual([onApi('PSS-14', 'Critical', 'spec.template.spec.containers[1].securityContext.runAsNonRoot', 'container "sidecar" may run as root, got runAsNonRoot unset on the container and the pod')]);
      // A container may not override the pod with false.
      expect(check('PSS-14', (b) => (sc(b).runAsNonRoot = false))).toEqual([onApi('PSS-14', 'Critical', `${C}.securityContext.runAsNonRoot`, 'container "api" may run as root, got runAsNonRoot false')]);
    });

    it('PSS-14 rejects a pod-level runAsNonRoot false even when every container sets true, as Pod Security Admission does', () => {
      const findings = check('PSS-14', (b) => {
        pod(b).securityContext.runAsNonRoot = false;
        pod(b).initContainers = [{ ...ctr(b), name: 'migrate' }];
        expect(ctr(b).securityContext.runAsNonRoot).toBe(true);
        expect(pod(b).initContainers[0].securityContext.runAsNonRoot).toBe(true);
      });
      expect(findings).toEqual([
        onApi('PSS-14', 'Critical', `${P}.securityContext.runAsNonRoot`, 'pod sets runAsNonRoot false, which pod security rejects even though every container sets runAsNonRoot true'),
      ]);
      // A container inheriting the pod's false is reported on the pod as before.
      expect(
        check('PSS-14', (b) => {
          pod(b).securityContext.runAsNonRoot = false;
          delete sc(b).runAsNonRoot;
        }),
      ).toEqual([onApi('PSS-14', 'Critical', `${P}.securityContext.runAsNonRoot`, 'pod may run as root, got runAsNonRoot false')]);
    });

    it('PSS-15 rejects runAsUser 0', () => {
      expect(check('PSS-15', (b) => (pod(b).securityContext.runAsUser = 0))).toEqual([onApi('PSS-15', 'Critical', `${P}.securityContext.runAsUser`, 'pod runs as root, got runAsUser 0')]);
    });

    it('PSS-16 requires a seccomp profile on the pod or every container', () => {
      expect(
        check('PSS-16', (b) => {
          delete pod(b).securityContext.seccompProfile;
          delete sc(b).seccompProfile;
        }),
      ).toEqual([onApi('PSS-16', 'High', `${P}.securityContext.seccompProfile.type`, 'pod runs without a seccomp profile, got seccompProfile.type unset on the pod and every container')]);
      expect(check('PSS-16', (b) => delete pod(b).securityContext.seccompProfile)).toEqual([]);
    });

    it('PSS-17 requires drop ALL and adds nothing but NET_BIND_SERVICE', () => {
      expect(check('PSS-17', (b) => (sc(b).capabilities = { drop: ['NET_RAW'], add: ['NET_BIND_SERVICE', 'CHOWN'] }))).toEqual([
        onApi('PSS-17', 'High', `${C}.securityContext.capabilities.add`, 'container "api" adds capabilities restricted forbids, got CHOWN'),
        onApi('PSS-17', 'High', `${C}.securityContext.capabilities.drop`, "container \"api\" keeps the runtime's default capabilities (NET_RAW among them), got capabilities.drop NET_RAW"),
      ]);
    });

    it('PSS-17 compares drop ALL exactly, as Pod Security Admission does', () => {
      // PSA: c == "ALL", case-sensitive; "all" and "CAP_ALL" do not satisfy restricted.
      for (const alias of ['all', 'All', 'CAP_ALL']) {
        expect(check('PSS-17', (b) => (sc(b).capabilities.drop = [alias])), alias).toEqual([
          onApi('PSS-17', 'High', `${C}.securityContext.capabilities.drop`, `container "api" does not drop ALL as pod security reads it (names compare exactly), got capabilities.drop ${alias}`),
        ]);
      }
      expect(check('PSS-17', (b) => (sc(b).capabilities.drop = ['all', 'ALL']))).toEqual([]);
      // A lower-case NET_BIND_SERVICE is outside the baseline set: PSS-04, not also PSS-17.
      expect(check('PSS-17', (b) => (sc(b).capabilities.add = ['cap_net_bind_service']))).toEqual([]);
    });

    it('reports pod template paths of CronJobs and bare Pods', () => {
      const spec = goodPodSpec('api');
      delete spec.containers[0].securityContext.allowPrivilegeEscalation;
      spec.restartPolicy = 'Never';
      const cron = {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'backup', namespace: NS },
        spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec } } } },
      };
      const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: NS }, spec };
      expect(found(policy([cron, bare]), 'PSS-13')).toEqual([
        at('PSS-13', 'Critical', 'CronJob', 'backup', 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation', 'container "api" may escalate privileges, got allowPrivilegeEscalation unset'),
        at('PSS-13', 'Critical', 'Pod', 'debug', 'spec.containers[0].securityContext.allowPrivilegeEscalation', 'container "api" may escalate privileges, got allowPrivilegeEscalation unset'),
      ]);
    });

    describe('PSS-18 on Namespaces', () => {
      const ns = (b: M[]) => get(b, 'Namespace', NS);
      const label = (k: string) => `metadata.labels["pod-security.kubernetes.io/${k}"]`;

      it('requires enforce, audit and warn restricted', () => {
        expect(check('PSS-18', (b) => (ns(b).metadata.labels = {}))).toEqual([
          at('PSS-18', 'High', 'Namespace', NS, label('enforce'), 'namespace does not enforce pod security restricted, got pod-security.kubernetes.io/enforce unset', null),
          at('PSS-18', 'High', 'Namespace', NS, label('audit'), 'namespace does not audit pod security restricted, got pod-security.kubernetes.io/audit unset', null),
          at('PSS-18', 'High', 'Namespace', NS, label('warn'), 'namespace does not warn pod security restricted, got pod-security.kubernetes.io/warn unset', null),
        ]);
      });

      it('requires pinned policy versions', () => {
        expect(check('PSS-18', (b) => (ns(b).metadata.labels['pod-security.kubernetes.io/warn-version'] = 'latest'))).toEqual([
          at(
            'PSS-18',
            'High',
            'Namespace',
            NS,
            label('warn-version'),
            'namespace does not pin the warn policy version, so a cluster upgrade changes what is reported, got pod-security.kubernetes.io/warn-version "latest"',
            null,
          ),
        ]);
      });

      it('reports a documented exception as waived, not failed', () => {
        const b = goodBundle();
        ns(b).metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
        ns(b).metadata.annotations = { [POD_SECURITY_EXCEPTION_ANNOTATION]: 'fluent-bit tails host logs through hostPath' };
        const findings = policy(b);
        expect(found(findings)).toEqual([
          {
            ...at('PSS-18', 'High', 'Namespace', NS, label('enforce'), 'namespace does not enforce pod security restricted, got pod-security.kubernetes.io/enforce "privileged"', null),
            waived: { reason: 'fluent-bit tails host logs through hostPath' },
          },
        ]);
        expect(findings.filter(isBlocking)).toEqual([]);
      });

      it('fails an exception that gives no reason', () => {
        expect(
          check('PSS-18', (b) => {
            ns(b).metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
            ns(b).metadata.annotations = { [POD_SECURITY_EXCEPTION_ANNOTATION]: ' ' };
          }),
        ).toEqual([
          at(
            'PSS-18',
            'High',
            'Namespace',
            NS,
            label('enforce'),
            'namespace does not enforce pod security restricted, got pod-security.kubernetes.io/enforce "privileged", and the cdk8s-agent-platform.dev/pod-security-exception annotation gives no reason',
            null,
          ),
        ]);
      });
    });
  });

  describe('workload hardening', () => {
    it('SEC-01 requires a read-only root filesystem', () => {
      expect(check('SEC-01', (b) => (sc(b).readOnlyRootFilesystem = false))).toEqual([
        onApi('SEC-01', 'High', `${C}.securityContext.readOnlyRootFilesystem`, 'container "api" can write to its root filesystem, got readOnlyRootFilesystem false'),
      ]);
    });

    it('SEC-02 wants explicit UID and GID of 10000 or above, never the root group', () => {
      expect(
        check('SEC-02', (b) => {
          pod(b).securityContext.runAsUser = 1000;
          pod(b).securityContext.runAsGroup = 0;
        }),
      ).toEqual([
        onApi('SEC-02', 'Medium', `${P}.securityContext.runAsUser`, 'pod runs as a UID below 10000, which may match a host user, got runAsUser 1000'),
        onApi('SEC-02', 'Medium', `${P}.securityContext.runAsGroup`, 'pod runs with the root group, got runAsGroup 0'),
      ]);
      expect(check('SEC-02', (b) => delete pod(b).securityContext.runAsGroup)).toEqual([
        onApi('SEC-02', 'Medium', `${P}.securityContext.runAsGroup`, 'pod leaves the GID to the image (often root), got runAsGroup unset on the pod and every container'),
      ]);
    });

    it('SEC-03 wants no API token unless a binding grants the ServiceAccount something', () => {
      expect(check('SEC-03', (b) => (pod(b).automountServiceAccountToken = true))).toEqual([
        onApi('SEC-03', 'Medium', `${P}.automountServiceAccountToken`, 'pod mounts an API token although no RoleBinding grants ServiceAccount "api" anything, got automountServiceAccountToken true'),
      ]);
      expect(
        check('SEC-03', (b) => {
          pod(b).automountServiceAccountToken = true;
          b.push({
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: 'api', namespace: NS },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api' },
            subjects: [{ kind: 'ServiceAccount', name: 'api', namespace: NS }],
          });
        }),
      ).toEqual([]);
      // Unset on the pod is fine when the ServiceAccount turns it off.
      expect(check('SEC-03', (b) => delete pod(b).automountServiceAccountToken)).toEqual([]);
      expect(
        check('SEC-03', (b) => {
          delete pod(b).automountServiceAccountToken;
          delete get(b, 'ServiceAccount', 'api').automountServiceAccountToken;
        }),
      ).toEqual([
        onApi('SEC-03', 'Medium', `${P}.automountServiceAccountToken`, 'pod mounts an API token it does not need, got automountServiceAccountToken unset on the pod and on ServiceAccount "api"'),
      ]);
    });

    it('SEC-04 wants a dedicated ServiceAccount named by serviceAccountName', () => {
      expect(
        check('SEC-04', (b) => {
          delete pod(b).serviceAccountName;
          pod(b).serviceAccount = 'default';
        }),
      ).toEqual([
        onApi('SEC-04', 'Medium', `${P}.serviceAccount`, 'pod uses the deprecated serviceAccount field, got "default"'),
        onApi('SEC-04', 'Medium', `${P}.serviceAccountName`, "pod runs as the namespace's default ServiceAccount, got serviceAccountName unset"),
      ]);
    });

    it('SEC-05 flags literal values under secret-like names, but not names that only describe a secret', () => {
      expect(
        check('SEC-05', (b) => {
          ctr(b).env = [
            { name: 'DB_PASSWORD', value: 'hunter2' },
            { name: 'OPENAI_API_KEY', value: 'sk-proj-123' },
            { name: 'AWS_SECRET_ACCESS_KEY', value: 'abc' },
            { name: 'PASSWORD', value: 'x' },
            { name: 'JWT_SECRET_LENGTH', value: '64' },
            { name: 'PASSWORD_FILE', value: '/run/secrets/db' },
            { name: 'TOKEN_TTL', value: '3600' },
            { name: 'KEY_ROTATION_DAYS', value: '30' },
            { name: 'SIGNING_KEY_PATH', value: '/keys/signing.pem' },
            { name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'api', key: 'jwt' } } },
            { name: 'EMPTY_TOKEN', value: '' },
          ];
        }),
      ).toEqual([
        onApi('SEC-05', 'High', `${C}.env[0].value`, 'container "api" sets the secret-like env var DB_PASSWORD to a literal value'),
        onApi('SEC-05', 'High', `${C}.env[1].value`, 'container "api" sets the secret-like env var OPENAI_API_KEY to a literal value'),
        onApi('SEC-05', 'High', `${C}.env[2].value`, 'container "api" sets the secret-like env var AWS_SECRET_ACCESS_KEY to a literal value'),
        onApi('SEC-05', 'High', `${C}.env[3].value`, 'container "api" sets the secret-like env var PASSWORD to a literal value'),
      ]);
    });

    it('SEC-05 flags credentials by value, bulk Secret env, and Secret env expanded into argv', () => {
      expect(
        check('SEC-05', (b) => {
          ctr(b).env = [
            { name: 'DATABASE_URL', value: 'postgres://app:s3cret@db:5432/app' },
            { name: 'TLS_KEY_PEM', value: '-----BEGIN RSA PRIVATE KEY-----\nMIIE...' },
            { name: 'CACHE_URL', value: 'redis://cache:6379/0' },
            { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'api', key: 'redis' } } },
          ];
          ctr(b).envFrom = [{ secretRef: { name: 'api-env' } }];
          ctr(b).args = ['--requirepass', '$(REDIS_PASSWORD)'];
        }),
      ).toEqual([
        onApi('SEC-05', 'High', `${C}.env[0].value`, 'container "api" puts a URL with a password in the literal value of env var DATABASE_URL'),
        onApi('SEC-05', 'High', `${C}.env[1].value`, 'container "api" puts a PEM private key in the literal value of env var TLS_KEY_PEM'),
        onApi('SEC-05', 'High', `${C}.envFrom[0].secretRef`, 'container "api" injects every key of Secret "api-env" as env vars, readable in /proc and crash dumps'),
        onApi('SEC-05', 'High', `${C}.args[1]`, 'container "api" expands the Secret-backed env var REDIS_PASSWORD into its command line, where ps and /proc/*/cmdline show it'),
      ]);
    });

    it('SEC-06 flags credentials in ConfigMaps', () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS }, data: { DB_PASSWORD: 'x', DATABASE_URL: 'postgres://u:p@db/app', LOG_LEVEL: 'info', PASSWORD_FILE: '/run/x' } };
      expect(found(policy([cm]), 'SEC-06')).toEqual([
        at('SEC-06', 'High', 'ConfigMap', 'cfg', 'data.DB_PASSWORD', 'ConfigMap key DB_PASSWORD looks like a credential and holds a literal value'),
        at('SEC-06', 'High', 'ConfigMap', 'cfg', 'data.DATABASE_URL', 'ConfigMap key DATABASE_URL holds a URL with a password'),
      ]);
    });

    it('SEC-07 flags optional references (opt-in only)', () => {
      expect(
        check('SEC-07', (b) => {
          ctr(b).env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url', optional: true } } }];
          ctr(b).envFrom = [{ configMapRef: { name: 'cfg', optional: true } }];
        }),
      ).toEqual([
        onApi('SEC-07', 'High', `${C}.env[0].valueFrom.secretKeyRef.optional`, 'container "api" reads env var DATABASE_URL from Secret "db" key "url" with optional: true, so the pod starts without it'),
        onApi('SEC-07', 'High', `${C}.envFrom[0].configMapRef.optional`, 'container "api" loads ConfigMap "cfg" with optional: true, so the pod starts without it'),
      ]);
    });

    it('SEC-08 rejects Secrets with literal data', () => {
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys', namespace: NS }, stringData: { 'signing-key': 'x' }, data: { token: 'eA==' } };
      expect(found(policy([secret]), 'SEC-08')).toEqual([
        at('SEC-08', 'Critical', 'Secret', 'keys', 'stringData', 'Secret carries literal values in stringData, which end up in Git and the synth output, got keys signing-key'),
        at('SEC-08', 'Critical', 'Secret', 'keys', 'data', 'Secret carries literal values in data, which end up in Git and the synth output, got keys token'),
      ]);
      expect(found(policy([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty', namespace: NS }, data: {} }]), 'SEC-08')).toEqual([]);
    });
  });

  describe('images', () => {
    it('IMG-01 rejects :latest and untagged images', () => {
      expect(check('IMG-01', (b) => (ctr(b).image = 'nginx:latest'))).toEqual([onApi('IMG-01', 'High', `${C}.image`, 'container "api" uses the mutable tag latest, got "nginx:latest"')]);
      expect(check('IMG-01', (b) => (ctr(b).image = 'registry.example.com:5000/team/api'))).toEqual([
        onApi('IMG-01', 'High', `${C}.image`, 'container "api" has an untagged image, which pulls latest, got "registry.example.com:5000/team/api"'),
      ]);
      // A digest pins the image whatever the tag says.
      expect(check('IMG-01', (b) => (ctr(b).image = `nginx:latest@${DIGEST}`))).toEqual([]);
    });

    it('IMG-02 wants a digest', () => {
      expect(check('IMG-02', (b) => (ctr(b).image = 'registry.example.com/api:1.2.3'))).toEqual([
        onApi('IMG-02', 'Medium', `${C}.image`, 'container "api" image is not pinned by digest, got "registry.example.com/api:1.2.3"'),
      ]);
    });

    it('IMG-03 wants Always for a mutable tag; IfNotPresent is fine with a digest', () => {
      expect(check('IMG-03', (b) => (ctr(b).image = 'registry.example.com/api:1.2.3'))).toEqual([
        onApi('IMG-03', 'Low', `${C}.imagePullPolicy`, 'container "api" pulls a mutable tag with IfNotPresent, so nodes may run different images under one tag, got imagePullPolicy "IfNotPresent"'),
      ]);
      expect(
        check('IMG-03', (b) => {
          ctr(b).image = 'registry.example.com/api:1.2.3';
          delete ctr(b).imagePullPolicy;
        }),
      ).toEqual([
        onApi('IMG-03', 'Low', `${C}.imagePullPolicy`, 'container "api" pulls a mutable tag with IfNotPresent, so nodes may run different images under one tag, got imagePullPolicy unset (IfNotPresent for a tagged image)'),
      ]);
      expect(
        check('IMG-03', (b) => {
          ctr(b).image = 'registry.example.com/api:1.2.3';
          ctr(b).imagePullPolicy = 'Always';
        }),
      ).toEqual([]);
    });
  });

  describe('resources', () => {
    it('RES-01 wants a cpu request no larger than the limit', () => {
      expect(check('RES-01', (b) => delete ctr(b).resources.requests.cpu)).toEqual([
        onApi('RES-01', 'High', `${C}.resources.requests.cpu`, 'container "api" sets no cpu request, got resources.requests.cpu unset'),
      ]);
      expect(check('RES-01', (b) => (ctr(b).resources.requests.cpu = '2'))).toEqual([
        onApi('RES-01', 'High', `${C}.resources.requests.cpu`, 'container "api" requests more cpu than its limit, got requests.cpu "2" above limits.cpu "500m"'),
      ]);
      // No CPU limit is a deliberate choice, not a finding.
      expect(check('RES-01', (b) => delete ctr(b).resources.limits.cpu)).toEqual([]);
    });

    it('RES-02 wants memory requests and limits, and app memory knobs within 75% of the limit', () => {
      expect(check('RES-02', (b) => delete ctr(b).resources.limits.memory)).toEqual([
        onApi('RES-02', 'High', `${C}.resources.limits.memory`, 'container "api" sets no memory limit, got resources.limits.memory unset'),
      ]);
      expect(
        check('RES-02', (b) => {
          ctr(b).resources.limits.memory = '4Gi';
          ctr(b).command = ['redis-server', '--maxmemory 4gb'];
          ctr(b).args = ['--maxmemory', '3gb'];
        }),
      ).toEqual([
        // "--maxmemory 4gb" as one argv item (D-SRK-03) is 100% of 4Gi; "3gb" is exactly 75%, which is allowed.
        onApi('RES-02', 'High', `${C}.command[1]`, 'container "api" lets the app use 100% of its 4Gi memory limit, so buffers and fork copy-on-write get it OOMKilled, got maxmemory 4gb'),
      ]);
      expect(check('RES-02', (b) => (ctr(b).args = ['-Xmx400m', '-jar', 'app.jar']))).toEqual([
        onApi('RES-02', 'High', `${C}.args[0]`, 'container "api" lets the app use 78% of its 512Mi memory limit, so buffers and fork copy-on-write get it OOMKilled, got -Xmx400m'),
      ]);
    });

    it('RES-03 wants sized emptyDirs and limited writable layers', () => {
      expect(
        check('RES-03', (b) => {
          delete ctr(b).resources.limits['ephemeral-storage'];
          delete pod(b).volumes[0].emptyDir.sizeLimit;
          sc(b).readOnlyRootFilesystem = false;
        }),
      ).toEqual([
        onApi('RES-03', 'Medium', `${P}.volumes[0].emptyDir.sizeLimit`, 'emptyDir volume "tmp" has no size limit, so it can fill the node\'s disk, got sizeLimit unset'),
        onApi(
          'RES-03',
          'Medium',
          `${C}.resources.limits.ephemeral-storage`,
          "container \"api\" has a writable root filesystem and no ephemeral-storage limit, so it can fill the node's disk, got resources.limits.ephemeral-storage unset",
        ),
      ]);
      // An ephemeral-storage limit on every container covers the emptyDirs.
      expect(check('RES-03', (b) => delete pod(b).volumes[0].emptyDir.sizeLimit)).toEqual([]);
    });
  });

  describe('probes', () => {
    it('PRB-01 wants a liveness probe with an explicit timeout, and a startupProbe instead of a long delay', () => {
      expect(check('PRB-01', (b) => delete ctr(b).livenessProbe)).toEqual([onApi('PRB-01', 'High', `${C}.livenessProbe`, 'container "api" has no livenessProbe, so a hung process is never restarted')]);
      expect(
        check('PRB-01', (b) => {
          delete ctr(b).livenessProbe.timeoutSeconds;
          ctr(b).livenessProbe.initialDelaySeconds = 45;
        }),
      ).toEqual([
        onApi('PRB-01', 'High', `${C}.livenessProbe.timeoutSeconds`, 'container "api" livenessProbe has no explicit timeout, got timeoutSeconds unset (the 1 s default)'),
        onApi('PRB-01', 'High', `${C}.startupProbe`, 'container "api" delays its livenessProbe instead of using a startupProbe, got initialDelaySeconds 45'),
      ]);
    });

    it('PRB-02 wants a readiness probe', () => {
      expect(check('PRB-02', (b) => delete ctr(b).readinessProbe)).toEqual([onApi('PRB-02', 'High', `${C}.readinessProbe`, 'container "api" has no readinessProbe, so it gets traffic before it can serve')]);
    });

    it('PRB-03 rejects identical readiness and liveness checks', () => {
      expect(check('PRB-03', (b) => (ctr(b).readinessProbe = { ...ctr(b).livenessProbe }))).toEqual([
        onApi('PRB-03', 'High', `${C}.readinessProbe`, 'container "api" uses one check for readiness and liveness, so a dependency outage restarts every pod, got httpGet /livez on port "http" for both'),
      ]);
    });

    it('asks Jobs for no probes', () => {
      const spec = goodPodSpec('job');
      delete spec.containers[0].livenessProbe;
      delete spec.containers[0].readinessProbe;
      const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job', namespace: NS }, spec: { template: { spec } } };
      expect(found(policy([job])).filter((f) => f.checkId.startsWith('PRB'))).toEqual([]);
    });
  });

  describe('availability', () => {
    const withoutHpa = (b: M[]) => b.splice(b.indexOf(get(b, 'HorizontalPodAutoscaler', 'api')), 1);

    it('AVL-01 wants 2 or more replicas without an HPA', () => {
      expect(check('AVL-01', withoutHpa)).toEqual([onApi('AVL-01', 'High', 'spec.replicas', 'Deployment runs a single replica, so every restart is an outage, got replicas unset')]);
      expect(
        check('AVL-01', (b) => {
          withoutHpa(b);
          dep(b).spec.replicas = 3;
        }),
      ).toEqual([]);
    });

    it('AVL-02 accepts host anti-affinity or a hostname topology spread', () => {
      const noHostSpread = (b: M[]) => (pod(b).topologySpreadConstraints = pod(b).topologySpreadConstraints.slice(0, 1));
      expect(check('AVL-02', noHostSpread)).toEqual([
        onApi('AVL-02', 'Medium', `${P}.affinity.podAntiAffinity`, 'Deployment runs up to 4 replicas with nothing spreading them across nodes, so one node failure can take all of them'),
      ]);
      expect(
        check('AVL-02', (b) => {
          noHostSpread(b);
          pod(b).affinity = {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } } },
              ],
            },
          };
        }),
      ).toEqual([]);
      // A term that selects other pods spreads nothing.
      expect(
        check('AVL-02', (b) => {
          noHostSpread(b);
          pod(b).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'other' } } }] } };
        }),
      ).toHaveLength(1);
    });

    it('AVL-03 wants a zone spread on well-known topology keys', () => {
      expect(check('AVL-03', (b) => (pod(b).topologySpreadConstraints[0].topologyKey = 'kubernetes.io/zone'))).toEqual([
        onApi('AVL-03', 'Medium', `${P}.topologySpreadConstraints[0].topologyKey`, 'topologyKey "kubernetes.io/zone" is not a well-known node label, so the term never applies'),
        onApi('AVL-03', 'Medium', `${P}.topologySpreadConstraints`, 'Deployment runs up to 4 replicas without a topology.kubernetes.io/zone spread, so one zone outage can take all of them'),
      ]);
    });

    it('AVL-04 wants exactly one of minAvailable and maxUnavailable', () => {
      expect(check('AVL-04', (b) => (get(b, 'PodDisruptionBudget', 'api').spec.minAvailable = 1))).toEqual([
        at('AVL-04', 'High', 'PodDisruptionBudget', 'api', 'spec', 'PodDisruptionBudget sets both minAvailable and maxUnavailable, which the API rejects'),
      ]);
    });

    it('AVL-05 wants a budget that allows evictions and evicts unhealthy pods', () => {
      expect(
        check('AVL-05', (b) => {
          get(b, 'PodDisruptionBudget', 'api').spec.maxUnavailable = '0%';
          delete get(b, 'PodDisruptionBudget', 'api').spec.unhealthyPodEvictionPolicy;
        }),
      ).toEqual([
        at('AVL-05', 'High', 'PodDisruptionBudget', 'api', 'spec.maxUnavailable', 'PodDisruptionBudget allows no eviction, so node drains hang, got maxUnavailable "0%"'),
        at('AVL-05', 'High', 'PodDisruptionBudget', 'api', 'spec.unhealthyPodEvictionPolicy', 'PodDisruptionBudget lets unhealthy pods block evictions, got unhealthyPodEvictionPolicy unset'),
      ]);
    });

    it('AVL-07 wants sane HPA bounds', () => {
      expect(
        check('AVL-07', (b) => {
          delete get(b, 'HorizontalPodAutoscaler', 'api').spec.minReplicas;
          get(b, 'HorizontalPodAutoscaler', 'api').spec.maxReplicas = 1;
        }),
      ).toEqual([
        at('AVL-07', 'Medium', 'HorizontalPodAutoscaler', 'api', 'spec.minReplicas', 'HorizontalPodAutoscaler may scale to a single pod, got minReplicas unset'),
        at('AVL-07', 'Medium', 'HorizontalPodAutoscaler', 'api', 'spec.maxReplicas', 'HorizontalPodAutoscaler cannot scale, got maxReplicas 1 with minReplicas 1'),
      ]);
    });

    it('AVL-07 is High for bounds the API server rejects: minReplicas below 1, maxReplicas below minReplicas', () => {
      expect(
        check('AVL-07', (b) => {
          get(b, 'HorizontalPodAutoscaler', 'api').spec.minReplicas = 0;
          get(b, 'HorizontalPodAutoscaler', 'api').spec.maxReplicas = 5;
        }),
      ).toEqual([
        at('AVL-07', 'High', 'HorizontalPodAutoscaler', 'api', 'spec.minReplicas', 'HorizontalPodAutoscaler minReplicas must be at least 1, got minReplicas 0, so the API server rejects it'),
      ]);
      expect(
        check('AVL-07', (b) => {
          get(b, 'HorizontalPodAutoscaler', 'api').spec.minReplicas = 4;
          get(b, 'HorizontalPodAutoscaler', 'api').spec.maxReplicas = 3;
        }),
      ).toEqual([
        at('AVL-07', 'High', 'HorizontalPodAutoscaler', 'api', 'spec.maxReplicas', 'HorizontalPodAutoscaler maxReplicas is below minReplicas, got maxReplicas 3 with minReplicas 4, so the API server rejects it'),
      ]);
    });

    it('AVL-10 rejects a ReadWriteOnce volume under several replicas or a rolling update', () => {
      const withPvc = (mode: string) => (b: M[]) => {
        b.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS }, spec: { accessModes: [mode], resources: { requests: { storage: '1Gi' } } } });
        pod(b).volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'data' } });
      };
      expect(check('AVL-10', withPvc('ReadWriteOnce'))).toEqual([
        onApi('AVL-10', 'High', `${P}.volumes[1].persistentVolumeClaim.claimName`, 'Deployment mounts ReadWriteOnce PVC "data" in up to 4 replicas, so pods on other nodes cannot attach it'),
        onApi(
          'AVL-10',
          'High',
          'spec.strategy.type',
          'Deployment rolls out with RollingUpdate while mounting ReadWriteOnce PVC "data", so the new pod cannot attach it while the old one runs, got strategy.type "RollingUpdate"',
        ),
      ]);
      expect(check('AVL-10', withPvc('ReadWriteMany'))).toEqual([]);
      expect(check('AVL-10', (b) => (dep(b).spec.strategy = { type: 'Recreate' }))).toEqual([
        onApi('AVL-10', 'High', 'spec.strategy.type', 'Deployment stops every pod before starting new ones on each rollout, got strategy.type "Recreate"'),
      ]);
    });

    describe('AVL-11 graceful termination', () => {
      const annotations = (b: M[]) => dep(b).spec.template.metadata.annotations;

      it('wants a preStop delay or a declared drain', () => {
        expect(check('AVL-11', (b) => delete annotations(b)[DRAIN_SECONDS_ANNOTATION])).toEqual([
          onApi(
            'AVL-11',
            'High',
            'spec.template.metadata.annotations["cdk8s-agent-platform.dev/drain-seconds"]',
            'pods have no preStop delay and declare no drain time, so endpoint removal races SIGTERM and in-flight requests fail',
          ),
        ]);
      });

      it('wants grace >= preStop sleep + drain', () => {
        expect(
          check('AVL-11', (b) => {
            ctr(b).lifecycle = { preStop: { exec: { command: ['/bin/sleep', '15'] } } };
          }),
        ).toEqual([
          onApi('AVL-11', 'High', `${P}.terminationGracePeriodSeconds`, 'pods are killed mid-drain: grace 30 s is shorter than preStop 15 s + drain 20 s, got terminationGracePeriodSeconds 30'),
        ]);
        expect(
          check('AVL-11', (b) => {
            ctr(b).lifecycle = { preStop: { exec: { command: ['/bin/sleep', '5'] } } };
            delete pod(b).terminationGracePeriodSeconds;
          }),
        ).toEqual([]);
      });

      it('rejects a preStop that needs a shell, and counts its sleep', () => {
        expect(
          check('AVL-11', (b) => {
            ctr(b).lifecycle = { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 15'] } } };
          }),
        ).toEqual([
          onApi('AVL-11', 'High', `${C}.lifecycle.preStop.exec.command`, 'container "api" runs its preStop hook through sh, which fails on shell-less images and leaves no delay, got "/bin/sh -c sleep 15"'),
          onApi('AVL-11', 'High', `${P}.terminationGracePeriodSeconds`, 'pods are killed mid-drain: grace 30 s is shorter than preStop 15 s + drain 20 s, got terminationGracePeriodSeconds 30'),
        ]);
      });

      it('accepts the preStop sleep action only from Kubernetes 1.30', () => {
        const sleep = (b: M[]) => (ctr(b).lifecycle = { preStop: { sleep: { seconds: 5 } } });
        expect(check('AVL-11', sleep, '1.28')).toEqual([
          onApi('AVL-11', 'High', `${C}.lifecycle.preStop.sleep`, 'container "api" uses the preStop sleep action, which kubernetes 1.28 does not have (1.30+), got sleep.seconds 5'),
        ]);
        expect(check('AVL-11', sleep, '1.30')).toEqual([]);
      });

      it('rejects a drain annotation that is not whole seconds', () => {
        expect(check('AVL-11', (b) => (annotations(b)[DRAIN_SECONDS_ANNOTATION] = '20s'))).toEqual([
          onApi('AVL-11', 'High', 'spec.template.metadata.annotations["cdk8s-agent-platform.dev/drain-seconds"]', 'the drain-seconds annotation is not a whole number of seconds, got "20s"'),
        ]);
      });
    });
  });

  describe('workload integrity', () => {
    it('WKL-01 rejects a selector that misses the template labels', () => {
      expect(check('WKL-01', (b) => (dep(b).spec.template.metadata.labels = { app: 'api' }))).toEqual([
        onApi('WKL-01', 'Critical', 'spec.template.metadata.labels', 'Deployment selector app.kubernetes.io/name=api,app.kubernetes.io/instance=api does not match its pod template labels, so the API rejects it, got labels app=api'),
      ]);
    });

    it('WKL-03 rejects duplicate env names', () => {
      expect(
        check('WKL-03', (b) => {
          ctr(b).env = [
            { name: 'MODE', value: 'a' },
            { name: 'LEVEL', value: 'b' },
            { name: 'MODE', value: 'c' },
          ];
        }),
      ).toEqual([onApi('WKL-03', 'Medium', `${C}.env[2].name`, 'container "api" defines env var MODE twice, got env[0] and env[2]')]);
    });

    it('WKL-04 wants bounded Jobs and CronJobs', () => {
      const spec = goodPodSpec('backup');
      const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup', namespace: NS }, spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec } } } } };
      const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: NS }, spec: { backoffLimit: 1, activeDeadlineSeconds: 600, template: { spec: { ...goodPodSpec('migrate'), restartPolicy: 'Never' } } } };
      expect(found(policy([cron, job]), 'WKL-04')).toEqual([
        at('WKL-04', 'Medium', 'CronJob', 'backup', 'spec.startingDeadlineSeconds', 'CronJob has no startingDeadlineSeconds, so after 100 missed schedules it stops scheduling, got startingDeadlineSeconds unset'),
        at('WKL-04', 'Medium', 'CronJob', 'backup', 'spec.jobTemplate.spec.backoffLimit', 'CronJob retries a failing pod 6 times by default, got backoffLimit unset'),
        at('WKL-04', 'Medium', 'CronJob', 'backup', 'spec.jobTemplate.spec.activeDeadlineSeconds', 'CronJob may run forever, got activeDeadlineSeconds unset'),
        at('WKL-04', 'High', 'CronJob', 'backup', 'spec.jobTemplate.spec.template.spec.restartPolicy', 'CronJob pods need restartPolicy OnFailure or Never, got restartPolicy unset, so the API server rejects the CronJob'),
        at('WKL-04', 'Medium', 'Job', 'migrate', 'spec.ttlSecondsAfterFinished', 'Job is never cleaned up after it finishes, got ttlSecondsAfterFinished unset'),
      ]);
    });

    it('WKL-05 wants valid labels and the recommended set with instance = name', () => {
      expect(
        check('WKL-05', (b) => {
          dep(b).metadata.labels['app.kubernetes.io/instance'] = 'api-v2';
          dep(b).metadata.labels['app.kubernetes.io/version'] = 'v1.2.3+build';
          delete dep(b).metadata.labels['app.kubernetes.io/name'];
        }),
      ).toEqual([
        onApi('WKL-05', 'High', 'metadata.labels["app.kubernetes.io/version"]', 'label app.kubernetes.io/version has an invalid value, got "v1.2.3+build", so the API server rejects the object'),
        onApi('WKL-05', 'Low', 'metadata.labels', 'Deployment lacks the recommended labels app.kubernetes.io/name'),
        onApi('WKL-05', 'Low', 'metadata.labels["app.kubernetes.io/instance"]', 'app.kubernetes.io/instance does not match the object name "api", got "api-v2"'),
      ]);
    });

    it('WKL-05 and the labelMap props schema use the same label grammar', () => {
      const keys = ['app', 'app.kubernetes.io/name', 'example.com/a_b.c', 'Example.com/x', '/x', 'a/', `x/${'a'.repeat(64)}`, '-a', 'a-'];
      const values = ['', 'v1.2.3', 'v1.2.3+build', 'a_b-c.d', '-a', 'a'.repeat(63)];
      for (const key of keys) {
        const schemaOk = labelMap.safeParse({ [key]: 'v' }).success;
        expect([key, schemaOk], key).toEqual([key, LABEL_KEY_PATTERN.test(key)]);
        expect(check('WKL-05', (b) => (dep(b).metadata.labels[key] = 'v')).length === 0, key).toBe(schemaOk);
      }
      for (const value of values) {
        const schemaOk = labelMap.safeParse({ k: value }).success;
        expect([value, schemaOk], value).toEqual([value, LABEL_VALUE_PATTERN.test(value)]);
        expect(check('WKL-05', (b) => (dep(b).metadata.labels.k = value)).length === 0, value).toBe(schemaOk);
      }
    });

    it('parses quantities with the one exported grammar', () => {
      for (const [text, value] of [['500m', 0.5], ['2Gi', 2 ** 31], ['1e3', 1000], ['.5', 0.5], ['+1.', 1], ['-2k', -2000], ['1.5E-1', 0.15]] as const) {
        expect(QUANTITY_PATTERN.test(text), text).toBe(true);
        expect(parseQuantity(text), text).toBeCloseTo(value, 12);
      }
      for (const text of ['', '1 Gi', ' 1', 'Gi', '1gi', '1..2', '1KiB']) {
        expect(QUANTITY_PATTERN.test(text), text).toBe(false);
        expect(parseQuantity(text), text).toBeUndefined();
      }
    });

    describe('WKL-07 pipelines without pipefail (D-SKR-01)', () => {
      const script = (text: string, shell: readonly string[] = ['/bin/sh', '-c']) =>
        check('WKL-07', (b) => {
          ctr(b).command = [...shell, text];
        });

      it('flags a pipeline whose first command can fail unnoticed', () => {
        expect(script('pg_dump -h db app | \\\n  gzip > /backup/app.sql.gz\nfind /backup -mtime +30 -delete')).toEqual([
          onApi('WKL-07', 'High', `${C}.command[2]`, 'container "api" runs a sh -c script whose pipeline hides failures of every command but the last, got "pg_dump -h db app | gzip > /backup/app.sql.gz" without set -o pipefail'),
        ]);
      });

      it('accepts pipefail set first, in any spelling', () => {
        expect(script('set -euo pipefail\npg_dump app | gzip > out.gz')).toEqual([]);
        expect(script('set -eo pipefail; pg_dump app | gzip > out.gz')).toEqual([]);
        expect(script('set -o errexit -o pipefail\npg_dump app | gzip')).toEqual([]);
        expect(script('pg_dump app | gzip', ['bash', '-o', 'pipefail', '-c'])).toEqual([]);
      });

      it('ignores || and pipes in quotes or comments, and sees pipefail set too late', () => {
        expect(script('test -f /x || exit 1')).toEqual([]);
        expect(script('echo "a | b"; grep \'x|y\' file # a | b')).toEqual([]);
        expect(script('a | b\nset -o pipefail')).toHaveLength(1);
      });

      it('finds the script in args when command holds the shell', () => {
        expect(
          check('WKL-07', (b) => {
            ctr(b).command = ['bash'];
            ctr(b).args = ['-ec', 'curl -s http://x | tar xz'];
          }),
        ).toEqual([onApi('WKL-07', 'High', `${C}.args[1]`, 'container "api" runs a bash -c script whose pipeline hides failures of every command but the last, got "curl -s http://x | tar xz" without set -o pipefail')]);
      });
    });
  });

  describe('network exposure', () => {
    const svc = (b: M[]) => get(b, 'Service', 'api');
    const ingress = (annotations: Record<string, string>, spec: M) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: NS, annotations }, spec });
    const rule = (host?: string) => ({ ...(host ? { host } : {}), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } }] } });

    it('NET-05 wants ClusterIP Services', () => {
      expect(check('NET-05', (b) => (svc(b).spec.type = 'NodePort'))).toEqual([at('NET-05', 'Medium', 'Service', 'api', 'spec.type', 'Service is exposed outside the cluster, got type "NodePort"')]);
    });

    it('NET-07 wants TLS for every host, the redirect, and ingressClassName', () => {
      const ing = ingress(
        { 'kubernetes.io/ingress.class': 'nginx', 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' },
        { tls: [{ hosts: ['*.example.com'] }], rules: [rule('a.example.com'), rule('b.other.com'), rule()] },
      );
      expect(found(policy([ing]), 'NET-07')).toEqual([
        at('NET-07', 'High', 'Ingress', 'web', 'metadata.annotations["kubernetes.io/ingress.class"]', 'Ingress picks its controller with the deprecated kubernetes.io/ingress.class annotation, got "nginx"'),
        at('NET-07', 'High', 'Ingress', 'web', 'spec.tls[0].secretName', 'TLS entry names no certificate Secret, so the controller serves its default certificate, got secretName unset'),
        at('NET-07', 'High', 'Ingress', 'web', 'spec.rules[1].host', 'host "b.other.com" has no TLS entry, so it is served over plain HTTP'),
        at('NET-07', 'High', 'Ingress', 'web', 'spec.rules[2].host', 'Ingress rule has no host, so it answers any Host header and no TLS entry can cover it'),
        at('NET-07', 'High', 'Ingress', 'web', 'metadata.annotations["nginx.ingress.kubernetes.io/ssl-redirect"]', 'Ingress turns off the HTTP to HTTPS redirect, got ssl-redirect "false"'),
      ]);
    });

    it('NET-08 rejects snippets and annotations ingress-nginx does not have', () => {
      const ing = ingress(
        { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X: y";', 'nginx.ingress.kubernetes.io/rate-limit': '100', 'nginx.ingress.kubernetes.io/limit-rps': '10' },
        { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'], secretName: 'tls' }], rules: [rule('a.example.com')] },
      );
      const findings = policy([ing]).filter((f) => f.checkId === 'NET-08');
      expect(found(findings)).toEqual([
        at(
          'NET-08',
          'High',
          'Ingress',
          'web',
          'metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"]',
          "Ingress injects raw nginx configuration through nginx.ingress.kubernetes.io/configuration-snippet, which can read the controller's secrets (CVE-2021-25742)",
        ),
        at('NET-08', 'High', 'Ingress', 'web', 'metadata.annotations["nginx.ingress.kubernetes.io/rate-limit"]', 'nginx.ingress.kubernetes.io/rate-limit is not an ingress-nginx annotation, so the controller ignores it'),
      ]);
      expect(findings[1]!.fix).toBe('use limit-rps or limit-rpm (with limit-burst-multiplier)');
    });

    it('NET-08 and the Ingress exposure share one annotation list and one snippet test', () => {
      const net08 = (annotations: Record<string, string>) =>
        found(policy([ingress(annotations, { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'], secretName: 'tls' }], rules: [rule('a.example.com')] })]), 'NET-08');
      const exposureIssues = (extraAnnotations: Record<string, string>) => {
        const issues: string[] = [];
        const ctx = { addIssue: (i: { message?: string }) => issues.push(String(i.message).split('\u001f')[0]) } as unknown as z.RefinementCtx;
        checkExposure(ctx, exposureSchema.parse({ type: 'ingress', host: 'a.example.com', tls: { secretName: 't' }, extraAnnotations }), true, ['exposure']);
        return issues;
      };
      // Every annotation the library accepts is one NET-08 knows, and the other way round.
      expect(KNOWN_NGINX_ANNOTATIONS.size).toBeGreaterThan(100);
      const all = Object.fromEntries([...KNOWN_NGINX_ANNOTATIONS].map((a) => [`nginx.ingress.kubernetes.io/${a}`, 'x']));
      expect(net08(all)).toEqual([]);
      expect(exposureIssues(all)).toEqual([]);
      expect(exposureIssues(Object.fromEntries([...KNOWN_NGINX_ANNOTATIONS].map((a) => [a, 'x'])))).toEqual([]);
      // Snippets: flagged by NET-08 and rejected by the exposure, through the one helper.
      for (const key of ['nginx.ingress.kubernetes.io/configuration-snippet', 'nginx.ingress.kubernetes.io/server-snippet', 'nginx.ingress.kubernetes.io/auth-snippet', 'nginx.org/server-snippets']) {
        expect(isSnippetAnnotation(key), key).toBe(true);
        expect(net08({ [key]: 'x' }).map((f) => f.message), key).toEqual([`Ingress injects raw nginx configuration through ${key}, which can read the controller's secrets (CVE-2021-25742)`]);
        expect(exposureIssues({ [key]: 'x' }), key).toEqual(['is a snippet annotation']);
      }
      expect(isSnippetAnnotation('stream-snippet')).toBe(true);
      expect([...KNOWN_NGINX_ANNOTATIONS].filter(isSnippetAnnotation)).toEqual([]);
      // A name the controller does not read: NET-08 and the exposure both refuse it.
      expect(net08({ 'nginx.ingress.kubernetes.io/rate-limit': '1' })).toHaveLength(1);
      expect(exposureIssues({ 'rate-limit': '1' })).toEqual(['is not a documented ingress-nginx annotation']);
    });

    it('NET-09 rejects ssh and privileged container ports', () => {
      expect(
        check('NET-09', (b) => {
          ctr(b).ports = [
            { name: 'http', containerPort: 80 },
            { name: 'ssh', containerPort: 22 },
          ];
        }),
      ).toEqual([
        onApi('NET-09', 'Medium', `${C}.ports[0].containerPort`, 'container "api" listens on a privileged port, which a non-root process cannot bind, got containerPort 80'),
        onApi('NET-09', 'Medium', `${C}.ports[1].containerPort`, 'container "api" exposes the ssh port, got containerPort 22'),
      ]);
    });
  });

  describe('RBAC', () => {
    const role = (rules: M[], kind = 'Role') => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: 'r', ...(kind === 'Role' ? { namespace: NS } : {}) }, rules });
    const binding = (roleName: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: 'api', namespace: NS }],
    });

    it('RBAC-01 rejects wildcards', () => {
      expect(found(policy([role([{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }])]), 'RBAC-01')).toEqual([
        at('RBAC-01', 'High', 'Role', 'r', 'rules[0].verbs', 'Role grants a wildcard, got verbs ["*"]'),
      ]);
    });

    it('RBAC-02 rejects bindings to cluster-admin or a wildcard ClusterRole', () => {
      const wildcard = role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], 'ClusterRole');
      wildcard.metadata.name = 'everything';
      expect(found(policy([binding('cluster-admin'), wildcard, binding('everything')]), 'RBAC-02')).toEqual([
        at('RBAC-02', 'Critical', 'ClusterRoleBinding', 'b', 'roleRef.name', 'ClusterRoleBinding grants cluster-admin, got roleRef ClusterRole "cluster-admin"', null),
        at('RBAC-02', 'Critical', 'ClusterRoleBinding', 'b', 'roleRef.name', 'ClusterRoleBinding grants a ClusterRole with * verbs on * resources, got roleRef ClusterRole "everything"', null),
      ]);
    });

    it('RBAC-03 rejects exec and attach', () => {
      expect(found(policy([role([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }])]), 'RBAC-03')).toEqual([
        at('RBAC-03', 'High', 'Role', 'r', 'rules[0].resources', 'Role grants pods/exec, a shell in any pod of its scope, got verbs create'),
      ]);
    });

    it('RBAC-04 wants secret reads by name only (D-SKR-17)', () => {
      expect(
        found(
          policy([
            role([
              { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
              { apiGroups: [''], resources: ['secrets'], resourceNames: ['api-db'], verbs: ['get'] },
            ]),
          ]),
          'RBAC-04',
        ),
      ).toEqual([
        at('RBAC-04', 'High', 'Role', 'r', 'rules[0].verbs', 'Role can list every Secret in its scope, got verbs ["get","list"]'),
        at('RBAC-04', 'High', 'Role', 'r', 'rules[0].resourceNames', 'Role can read every Secret in its scope, got get on secrets without resourceNames'),
      ]);
    });

    it('RBAC-05 rejects pod creation, bind/escalate and webhook writes', () => {
      expect(
        found(
          policy([
            role([
              { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'get'] },
              { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind'] },
              { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['patch'] },
            ]),
          ]),
          'RBAC-05',
        ),
      ).toEqual([
        at('RBAC-05', 'High', 'Role', 'r', 'rules[0].verbs', 'Role can create deployments, which runs code as any ServiceAccount of its scope'),
        at('RBAC-05', 'High', 'Role', 'r', 'rules[1].verbs', 'Role can bind roles, which grants permissions it does not hold'),
        at('RBAC-05', 'High', 'Role', 'r', 'rules[2].verbs', 'Role can patch validatingwebhookconfigurations, which intercept every API request'),
      ]);
    });
  });

  describe('namespaces', () => {
    it('NS-01 wants an explicit, non-system namespace on namespaced objects only', () => {
      const cm = (namespace?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${namespace ?? 'none'}`, ...(namespace ? { namespace } : {}) } });
      expect(found(policy([cm(), cm('kube-system'), cm(NS), { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' }, rules: [] }]), 'NS-01')).toEqual([
        at('NS-01', 'High', 'ConfigMap', 'cm-none', 'metadata.namespace', 'ConfigMap has no namespace, so it lands wherever it is applied (usually default)', null),
        at('NS-01', 'High', 'ConfigMap', 'cm-kube-system', 'metadata.namespace', 'ConfigMap is placed in a system namespace, got namespace "kube-system"', 'kube-system'),
      ]);
    });
  });

  describe('waivers', () => {
    it('reports a waived finding with its reason, and it does not block', () => {
      const b = goodBundle();
      dep(b).metadata.annotations = { [`${WAIVER_ANNOTATION_PREFIX}NET-09`]: 'legacy image binds :80; NET_BIND_SERVICE added' };
      ctr(b).ports[0].containerPort = 80;
      const findings = policy(b);
      expect(found(findings)).toEqual([
        {
          ...onApi('NET-09', 'Medium', `${C}.ports[0].containerPort`, 'container "api" listens on a privileged port, which a non-root process cannot bind, got containerPort 80'),
          waived: { reason: 'legacy image binds :80; NET_BIND_SERVICE added' },
        },
      ]);
    });

    it('waives nothing with an empty reason, and reports the empty waiver as High', () => {
      const b = goodBundle();
      dep(b).metadata.annotations = { [`${WAIVER_ANNOTATION_PREFIX}PSS-13`]: '  ', [`${WAIVER_ANNOTATION_PREFIX}PSS-99`]: 'typo' };
      sc(b).allowPrivilegeEscalation = true;
      const findings = policy(b);
      expect(found(findings)).toEqual([
        onApi('WAIVER-01', 'High', 'metadata.annotations["waivers.cdk8s-agent-platform.dev/PSS-13"]', 'waiver for PSS-13 gives no reason, so it waives nothing'),
        onApi('WAIVER-02', 'Low', 'metadata.annotations["waivers.cdk8s-agent-platform.dev/PSS-99"]', 'waiver names no known check, got "PSS-99"'),
        onApi('PSS-13', 'Critical', `${C}.securityContext.allowPrivilegeEscalation`, 'container "api" may escalate privileges, got allowPrivilegeEscalation true'),
      ]);
      expect(findings.filter(isBlocking).map((f) => f.checkId)).toEqual(['WAIVER-01', 'PSS-13']);
    });

    it('reads waivers only from the object itself, not its pod template', () => {
      const b = goodBundle();
      dep(b).spec.template.metadata.annotations[`${WAIVER_ANNOTATION_PREFIX}PSS-13`] = 'not here';
      sc(b).allowPrivilegeEscalation = true;
      expect(policy(b).filter(isBlocking).map((f) => f.checkId)).toEqual(['PSS-13']);
    });
  });

  it('never throws on malformed manifests', () => {
    const junk = [
      null,
      {},
      { kind: 'Deployment' },
      { kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: 'nope', volumes: [null, 1] } } } },
      { kind: 'Pod', metadata: { name: 'p', labels: { a: 1 } }, spec: { containers: [{ name: 'c', securityContext: 'x', env: [null], ports: [{}] }] } },
      { kind: 'Role', metadata: { name: 'r', namespace: 'x' }, rules: [null, { verbs: 'get' }] },
    ];
    expect(() => checkPolicies(junk as never, { kubernetesVersion: '1.28' })).not.toThrow();
  });
});
