import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { k8s } from '../../lib/internal/plus.js';
import { validateSchema } from '../../lib/validation/schema/index.js';
import { valueAt } from '../../lib/validation/schema/paths.js';
import { isResolved, resolveKind, versionsOf } from '../../lib/validation/schema/registry.js';
import { API_LIFECYCLE, FIELD_GATES, type FieldGate } from '../../lib/validation/schema/versions.js';
import type { Finding, KubernetesVersion, Manifest } from '../../lib/validation/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function check(manifest: Obj | Obj[], kubernetesVersion: KubernetesVersion = '1.28'): Finding[] {
  return validateSchema((Array.isArray(manifest) ? manifest : [manifest]) as Manifest[], { kubernetesVersion });
}

/** A finding of this validator on the Deployment `agents/web`. */
function onWeb(path: string, message: string, fix: string, severity: Finding['severity'] = 'High'): Finding {
  return { checkId: 'WKL-06', severity, kind: 'Deployment', namespace: 'agents', name: 'web', path, message, fix };
}

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'agents', labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' } },
        spec: {
          serviceAccountName: 'web',
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 60,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'web',
              image: 'registry.example.com/web:1.4.2',
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
              resources: { requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' }, limits: { cpu: 1, memory: '2G' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, timeoutSeconds: 2 },
              readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, timeoutSeconds: 2 },
              lifecycle: { preStop: { exec: { command: ['/bin/sleep', '5'] } } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } } },
              ],
            },
          },
        },
      },
    },
  };
}

const container = (d: Obj): Obj => d.spec.template.spec.containers[0];

describe('validateSchema: built-in kinds', () => {
  it('accepts a clean Deployment', () => {
    expect(check(deployment())).toEqual([]);
  });

  it('rejects an unknown field and names the field it resembles', () => {
    const d = deployment();
    container(d).securityContex = { runAsNonRoot: true };
    expect(check(d)).toEqual([
      onWeb('spec.template.spec.containers[0].securityContex', 'unknown field "securityContex"', 'rename it to "securityContext"'),
    ]);
  });

  it('rejects a misspelt metadata field (ObjectMeta is strict too)', () => {
    const d = deployment();
    d.metadata.lables = { team: 'a' };
    expect(check(d)).toEqual([onWeb('metadata.lables', 'unknown field "lables"', 'rename it to "labels"')]);
  });

  it('rejects terminationGracePeriodSeconds at Deployment.spec and points to the pod spec (D-TAL-01)', () => {
    const d = deployment();
    delete d.spec.template.spec.terminationGracePeriodSeconds;
    d.spec.terminationGracePeriodSeconds = 60;
    expect(check(d)).toEqual([
      onWeb('spec.terminationGracePeriodSeconds', 'unknown field "terminationGracePeriodSeconds" (value 60)', 'move it to spec.template.spec.terminationGracePeriodSeconds'),
    ]);
  });

  it('says to remove a misplaced field when its right place is already set', () => {
    const d = deployment();
    d.spec.terminationGracePeriodSeconds = 90;
    expect(check(d)).toEqual([
      onWeb(
        'spec.terminationGracePeriodSeconds',
        'unknown field "terminationGracePeriodSeconds" (value 90)',
        'remove it; the field belongs at spec.template.spec.terminationGracePeriodSeconds, which is already set',
      ),
    ]);
  });

  it('rejects an unknown field with no near name and says where to look', () => {
    const d = deployment();
    d.spec.template.spec.gpuCount = 2;
    expect(check(d)).toEqual([
      onWeb('spec.template.spec.gpuCount', 'unknown field "gpuCount" (value 2)', 'remove it (kubectl explain deployment.spec.template.spec lists the accepted fields)'),
    ]);
  });

  it('rejects replicas written as a string', () => {
    const d = deployment();
    d.spec.replicas = '3';
    expect(check(d)).toEqual([onWeb('spec.replicas', 'wrong type: expected integer, got string "3"', 'write spec.replicas as the number 3, without quotes')]);
  });

  it('rejects an int32 field out of range', () => {
    const d = deployment();
    d.spec.replicas = 3_000_000_000;
    expect(check(d)).toEqual([onWeb('spec.replicas', 'value 3000000000 is out of the int32 range', 'set spec.replicas to a value that fits in int32')]);
  });

  it('rejects malformed quantities ("2 cores", "2GB") and accepts 2G', () => {
    const d = deployment();
    container(d).resources.limits = { cpu: '2 cores', memory: '2GB' };
    container(d).resources.requests.memory = '2G';
    expect(check(d)).toEqual([
      onWeb(
        'spec.template.spec.containers[0].resources.limits.cpu',
        'malformed quantity "2 cores"',
        'use a quantity such as 500m, 2, 512Mi or 2Gi (binary suffixes Ki Mi Gi Ti, decimal k M G T, no spaces or units like B) at spec.template.spec.containers[0].resources.limits.cpu',
      ),
      onWeb(
        'spec.template.spec.containers[0].resources.limits.memory',
        'malformed quantity "2GB"',
        'write 2Gi (binary) or 2G (decimal) at spec.template.spec.containers[0].resources.limits.memory',
      ),
    ]);
  });

  it('rejects missing required fields: a container name and the Deployment selector', () => {
    const d = deployment();
    delete container(d).name;
    delete d.spec.selector;
    expect(check(d)).toEqual([
      onWeb('spec.selector', 'missing required field "selector"', 'set spec.selector'),
      onWeb('spec.template.spec.containers[0].name', 'missing required field "name"', 'set spec.template.spec.containers[0].name'),
    ]);
  });

  it('rejects a value outside an enum', () => {
    const d = deployment();
    container(d).ports[0].protocol = 'HTTP';
    expect(check(d)).toEqual([
      onWeb('spec.template.spec.containers[0].ports[0].protocol', 'unsupported value "HTTP": must be one of "SCTP", "TCP", "UDP"', 'set spec.template.spec.containers[0].ports[0].protocol to one of "SCTP", "TCP", "UDP"'),
    ]);
  });

  it('rejects a boolean where an int-or-string belongs', () => {
    const d = deployment();
    d.spec.strategy.rollingUpdate.maxUnavailable = true;
    expect(check(d)).toEqual([
      onWeb('spec.strategy.rollingUpdate.maxUnavailable', 'wrong type: expected string or integer, got boolean true', 'set spec.strategy.rollingUpdate.maxUnavailable to a string or an integer'),
    ]);
  });

  it('rejects a number in a string map and suggests quoting it', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'agents' }, data: { WORKERS: 4 } };
    expect(check(cm)).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'ConfigMap', namespace: 'agents', name: 'cfg', path: 'data.WORKERS', message: 'wrong type: expected string, got integer 4', fix: 'quote the value of data.WORKERS: "4"' },
    ]);
  });

  it('rejects a Job without spec (D-TAL-03)', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'gateway-migrations-v1' } };
    expect(check(job)).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'Job', name: 'gateway-migrations-v1', path: 'spec', message: 'missing required field "spec"', fix: 'set spec; the API server rejects a Job without one' },
    ]);
  });

  it('rejects a missing and an invalid metadata.name', () => {
    const unnamed = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'agents' } };
    const badName = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Web_Config', namespace: 'agents' } };
    expect(check([unnamed, badName])).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'ConfigMap', namespace: 'agents', name: '<unnamed>', path: 'metadata.name', message: 'missing required field "name"', fix: 'set metadata.name' },
      {
        checkId: 'WKL-06', severity: 'High', kind: 'ConfigMap', namespace: 'agents', name: 'Web_Config', path: 'metadata.name',
        message: 'invalid name "Web_Config": must be lowercase letters, digits, "-" and "." (RFC 1123), at most 253 characters',
        fix: 'rename the object, e.g. lowercase it and replace other characters with "-"',
      },
    ]);
  });

  it('accepts any keys inside a free-form field (RawExtension)', () => {
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-1', namespace: 'agents' }, revision: 1, data: { spec: { anything: [1, { deep: true }] } } };
    expect(check(rev)).toEqual([]);
  });

  it('accepts the x-kubernetes-* schema fields of a CustomResourceDefinition', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    expect(check(crd)).toEqual([]);
  });
});

describe('validateSchema: apiVersion and kind', () => {
  it('rejects an unknown kind and suggests the near one', () => {
    expect(check({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'web' } })).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'Deploymnet', name: 'web', path: 'kind', message: 'unknown kind "Deploymnet" in apiVersion "apps/v1"', fix: 'rename the kind to "Deployment"' },
    ]);
  });

  it('rejects an unknown version of a known group', () => {
    expect(check({ apiVersion: 'apps/v2', kind: 'Deployment', metadata: { name: 'web' } })).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'Deployment', name: 'web', path: 'apiVersion', message: 'unknown apiVersion "apps/v2": group "apps" has versions v1, v1beta2, v1beta1', fix: 'use one of apps/v1, apps/v1beta2, apps/v1beta1' },
    ]);
  });

  it('rejects a group no schema package knows', () => {
    expect(check({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'worker', namespace: 'obs' } })).toEqual([
      {
        checkId: 'WKL-06', severity: 'High', kind: 'ScaledObject', namespace: 'obs', name: 'worker', path: 'apiVersion',
        message: 'unknown apiVersion "keda.sh/v1alpha1": no schema for group "keda.sh" (kind ScaledObject)',
        fix: 'check the spelling, or register the CRD of this kind (enableVerification(app, { customResources }) at synth, --crd <file> for the validate CLI)',
      },
    ]);
  });

  it('rejects a malformed apiVersion and kind', () => {
    expect(check([
      { apiVersion: 'apps/v1/beta', kind: 'Deployment', metadata: { name: 'web' } },
      { apiVersion: 'v1', kind: 'config-map', metadata: { name: 'cfg' } },
    ])).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'Deployment', name: 'web', path: 'apiVersion', message: 'malformed apiVersion "apps/v1/beta"', fix: 'write apiVersion as <group>/<version> (or v1 for the core group) and kind in PascalCase' },
      { checkId: 'WKL-06', severity: 'High', kind: 'config-map', name: 'cfg', path: 'kind', message: 'malformed kind "config-map"', fix: 'write apiVersion as <group>/<version> (or v1 for the core group) and kind in PascalCase' },
    ]);
  });

  it('rejects a document without apiVersion and kind', () => {
    expect(check({ spec: { replicas: 1 } })).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: '<unknown>', name: '<unnamed>', path: 'apiVersion', message: 'missing required field "apiVersion"', fix: 'set apiVersion' },
      { checkId: 'WKL-06', severity: 'High', kind: '<unknown>', name: '<unnamed>', path: 'kind', message: 'missing required field "kind"', fix: 'set kind' },
    ]);
  });

  const pdb = (apiVersion: string): Obj => ({
    apiVersion,
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'agents' },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
  });

  it('rejects policy/v1beta1 PodDisruptionBudget, removed in 1.25, for 1.28', () => {
    expect(check(pdb('policy/v1beta1'))).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'PodDisruptionBudget', namespace: 'agents', name: 'web', path: 'apiVersion', message: 'apiVersion "policy/v1beta1" of PodDisruptionBudget is not served by kubernetes 1.28 (removed in 1.25)', fix: 'use policy/v1' },
    ]);
    expect(check(pdb('policy/v1'))).toEqual([]);
  });

  it('rejects autoscaling/v2beta2 HorizontalPodAutoscaler, removed in 1.26', () => {
    const hpa = { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'agents' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5 } };
    expect(check(hpa, '1.33')).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'HorizontalPodAutoscaler', namespace: 'agents', name: 'web', path: 'apiVersion', message: 'apiVersion "autoscaling/v2beta2" of HorizontalPodAutoscaler is not served by kubernetes 1.33 (removed in 1.26)', fix: 'use autoscaling/v2' },
    ]);
  });

  const flowSchema = (apiVersion: string): Obj => ({ apiVersion, kind: 'FlowSchema', metadata: { name: 'agents' }, spec: { priorityLevelConfiguration: { name: 'workload-low' } } });

  it('warns (Medium) about flowcontrol v1beta2 for 1.28 and rejects it from 1.29, when it was removed', () => {
    expect(check(flowSchema('flowcontrol.apiserver.k8s.io/v1beta2'), '1.28')).toEqual([
      { checkId: 'WKL-06', severity: 'Medium', kind: 'FlowSchema', name: 'agents', path: 'apiVersion', message: 'apiVersion "flowcontrol.apiserver.k8s.io/v1beta2" of FlowSchema is deprecated and removed in kubernetes 1.29', fix: 'use flowcontrol.apiserver.k8s.io/v1beta3 (v1 from 1.29)' },
    ]);
    expect(check(flowSchema('flowcontrol.apiserver.k8s.io/v1beta2'), '1.29')).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'FlowSchema', name: 'agents', path: 'apiVersion', message: 'apiVersion "flowcontrol.apiserver.k8s.io/v1beta2" of FlowSchema is not served by kubernetes 1.29 (removed in 1.29)', fix: 'use flowcontrol.apiserver.k8s.io/v1beta3 (v1 from 1.29)' },
    ]);
  });

  it('rejects flowcontrol v1 for 1.28, which does not serve it yet, and accepts it for 1.29', () => {
    expect(check(flowSchema('flowcontrol.apiserver.k8s.io/v1'), '1.28')).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'FlowSchema', name: 'agents', path: 'apiVersion', message: 'apiVersion "flowcontrol.apiserver.k8s.io/v1" of FlowSchema is not served by kubernetes 1.28 (added in 1.29)', fix: 'target a release that serves it, or use flowcontrol.apiserver.k8s.io/v1beta3' },
    ]);
    expect(check(flowSchema('flowcontrol.apiserver.k8s.io/v1'), '1.29')).toEqual([]);
  });

  it('names only known apiVersions and kinds in the lifecycle table', () => {
    for (const key of Object.keys(API_LIFECYCLE)) {
      const [apiVersion, kind] = key.split(' ') as [string, string | undefined];
      const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
      expect(versionsOf(group), key).toContain(version);
      if (kind) expect(isResolved(resolveKind(apiVersion, kind)), key).toBe(true);
    }
  });
});

describe('validateSchema: Kubernetes version differences', () => {
  const withSleep = (): Obj => {
    const d = deployment();
    container(d).lifecycle = { preStop: { sleep: { seconds: 5 } } };
    return d;
  };

  it('rejects lifecycle.preStop.sleep for 1.28, which lacks it', () => {
    expect(check(withSleep(), '1.28')).toEqual([
      onWeb(
        'spec.template.spec.containers[0].lifecycle.preStop.sleep',
        'field "sleep" is not in the kubernetes 1.28 API (added in 1.29, on by default from 1.30)',
        'target kubernetes 1.30 or later, or delay shutdown with an exec preStop hook that runs a sleep binary of the image',
      ),
    ]);
  });

  it('rejects lifecycle.preStop.sleep for 1.29, where its feature gate is off by default', () => {
    expect(check(withSleep(), '1.29')).toEqual([
      onWeb(
        'spec.template.spec.containers[0].lifecycle.preStop.sleep',
        'field "sleep" needs the PodLifecycleSleepAction feature gate, off by default in kubernetes 1.29 (on by default from 1.30); the API server drops it',
        'target kubernetes 1.30 or later, or delay shutdown with an exec preStop hook that runs a sleep binary of the image',
      ),
    ]);
  });

  it('accepts lifecycle.preStop.sleep for 1.31', () => {
    expect(check(withSleep(), '1.31')).toEqual([]);
  });

  it('finds gated fields in CronJob pod templates and init containers', () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'agents' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            podReplacementPolicy: 'Failed',
            template: { spec: { restartPolicy: 'OnFailure', initContainers: [{ name: 'proxy', image: 'proxy:1.0', restartPolicy: 'Always' }], containers: [{ name: 'backup', image: 'backup:1.0' }] } },
          },
        },
      },
    };
    const subject = { checkId: 'WKL-06', severity: 'High', kind: 'CronJob', namespace: 'agents', name: 'backup' };
    expect(check(cron, '1.28')).toEqual([
      {
        ...subject,
        path: 'spec.jobTemplate.spec.template.spec.initContainers[0].restartPolicy',
        message: 'field "restartPolicy" needs the SidecarContainers feature gate, off by default in kubernetes 1.28 (on by default from 1.29); the API server drops it',
        fix: 'target kubernetes 1.29 or later, or run the sidecar as a regular container',
      },
      {
        ...subject,
        path: 'spec.jobTemplate.spec.podReplacementPolicy',
        message: 'field "podReplacementPolicy" needs the JobPodReplacementPolicy feature gate, off by default in kubernetes 1.28 (on by default from 1.29); the API server drops it',
        fix: 'target kubernetes 1.29 or later, or remove it',
      },
    ]);
    expect(check(cron, '1.29')).toEqual([]);
  });

  it('rejects a field no supported release enables by default, for every release', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'redis', namespace: 'agents' },
      spec: {
        serviceName: 'redis',
        selector: { matchLabels: { app: 'redis' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
        template: { metadata: { labels: { app: 'redis' } }, spec: { containers: [{ name: 'redis', image: 'redis:7.2' }] } },
      },
    };
    expect(check(sts, '1.33')).toEqual([
      {
        checkId: 'WKL-06', severity: 'High', kind: 'StatefulSet', namespace: 'agents', name: 'redis',
        path: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
        message: 'field "maxUnavailable" needs the MaxUnavailableStatefulSet feature gate, off by default in kubernetes 1.33 (not on by default up to 1.33); the API server drops it',
        fix: 'remove it (StatefulSet rolling updates replace one pod at a time)',
      },
    ]);
  });

  // Sample values for each gated field, to build objects with the 1.28 API
  // generated into cdk8s-plus-28.
  const SAMPLES: Record<string, unknown> = {
    'container:lifecycle.preStop.sleep': { seconds: 5 },
    'container:lifecycle.postStart.sleep': { seconds: 5 },
    'container:lifecycle.stopSignal': 'SIGUSR1',
    'container:securityContext.appArmorProfile': { type: 'RuntimeDefault' },
    'container:volumeMounts[*].recursiveReadOnly': 'Enabled',
    'container:resizePolicy': [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
    'container:restartPolicyRules': [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
    'container:env[*].valueFrom.fileKeyRef': { path: 'env', key: 'A', volumeName: 'v' },
    'pod:initContainers[*].restartPolicy': 'Always',
    'pod:securityContext.appArmorProfile': { type: 'RuntimeDefault' },
    'pod:securityContext.supplementalGroupsPolicy': 'Strict',
    'pod:hostUsers': false,
    'pod:resources': { limits: { cpu: '1' } },
    'pod:volumes[*].image': { reference: 'registry.example.com/data:1' },
    'pod:hostnameOverride': 'web',
    'podAffinityTerm:matchLabelKeys': ['pod-template-hash'],
    'podAffinityTerm:mismatchLabelKeys': ['tenant'],
    'job:podReplacementPolicy': 'Failed',
    'job:backoffLimitPerIndex': 1,
    'job:maxFailedIndexes': 1,
    'job:successPolicy': { rules: [{ succeededCount: 1 }] },
    'job:managedBy': 'example.com/controller',
    'service:trafficDistribution': 'PreferClose',
    'pvc:volumeAttributesClassName': 'gold',
    'statefulSet:updateStrategy.rollingUpdate.maxUnavailable': k8s.IntOrString.fromNumber(2),
    'hpa:behavior.scaleUp.tolerance': '0.05',
    'hpa:behavior.scaleDown.tolerance': '0.05',
  };

  function setPath(target: Obj, path: string, value: unknown): string[] {
    const tokens = path.replace(/\[\*\]/g, '.0').split('.');
    let cur: Obj = target;
    tokens.forEach((token, i) => {
      if (i === tokens.length - 1) cur[token] = value;
      else cur = cur[token] ??= /^\d+$/.test(tokens[i + 1]!) ? [{ name: 'x', mountPath: '/x' }] : {};
    });
    return tokens;
  }

  // Builds one object of the gate's scope with the 1.28 API types of
  // cdk8s-plus-28, whose generated toJson keeps only fields the 1.28 OpenAPI
  // schema declares, and returns the field's value after synth.
  function synth128(gate: FieldGate): unknown {
    const sample = SAMPLES[`${gate.scope}:${gate.path}`];
    if (sample === undefined) throw new Error(`no sample value for ${gate.scope}:${gate.path}`);
    const chart = new Chart(Testing.app(), 'gates');
    const podSpec: Obj = { containers: [{ name: 'c', image: 'i' }] };
    let root: Obj;
    let prefix: string;
    switch (gate.scope) {
      case 'container':
        root = podSpec.containers[0];
        prefix = 'spec.containers.0';
        new k8s.KubePod(chart, 'o', { spec: podSpec as never });
        break;
      case 'pod':
      case 'podAffinityTerm':
        root = podSpec;
        prefix = 'spec';
        if (gate.scope === 'podAffinityTerm') {
          root = { topologyKey: 'kubernetes.io/hostname' };
          podSpec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [root] } };
          prefix = 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution.0';
        }
        new k8s.KubePod(chart, 'o', { spec: podSpec as never });
        break;
      case 'job':
        root = { template: { spec: podSpec } };
        prefix = 'spec';
        new k8s.KubeJob(chart, 'o', { spec: root as never });
        break;
      case 'service':
        root = { ports: [{ port: 80 }] };
        prefix = 'spec';
        new k8s.KubeService(chart, 'o', { spec: root as never });
        break;
      case 'pvc':
        root = { accessModes: ['ReadWriteOnce'] };
        prefix = 'spec';
        new k8s.KubePersistentVolumeClaim(chart, 'o', { spec: root as never });
        break;
      case 'statefulSet':
        root = { serviceName: 's', selector: {}, template: { spec: podSpec } };
        prefix = 'spec';
        new k8s.KubeStatefulSet(chart, 'o', { spec: root as never });
        break;
      case 'hpa':
        root = { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 };
        prefix = 'spec';
        new k8s.KubeHorizontalPodAutoscalerV2(chart, 'o', { spec: root as never });
        break;
    }
    const tokens = setPath(root, gate.path, sample);
    const [json] = Testing.synth(chart);
    return valueAt(json, [...prefix.split('.'), ...tokens].map((t) => (/^\d+$/.test(t) ? Number(t) : t)));
  }

  it.each(FIELD_GATES.map((g) => [`${g.scope}: ${g.path}`, g] as const))('gate %s agrees with the 1.28 API of cdk8s-plus-28', (_, gate) => {
    const survives = synth128(gate) !== undefined;
    expect(survives, `${gate.path} ${gate.alpha <= 28 ? 'exists' : 'does not exist'} in the 1.28 API`).toBe(gate.alpha <= 28);
  });
});

describe('validateSchema: custom resources', () => {
  it('rejects an unknown field in a ServiceMonitor endpoint', () => {
    const sm = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'web', namespace: 'agents', labels: { release: 'prometheus' } },
      spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ portt: 'http', interval: '30s' }] },
    };
    expect(check(sm)).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'ServiceMonitor', namespace: 'agents', name: 'web', path: 'spec.endpoints[0].portt', message: 'unknown field "portt" (value "http")', fix: 'rename it to "port"' },
    ]);
  });

  it('accepts a valid HTTPRoute', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'agents' },
      spec: {
        parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }],
        hostnames: ['agents.example.com'],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], timeouts: { request: '30s' }, backendRefs: [{ name: 'web', port: 8080, weight: 1 }] }],
      },
    };
    expect(check(route)).toEqual([]);
  });

  it('rejects a bad HTTPRoute path match type and a quoted port', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'agents' },
      spec: { parentRefs: [{ name: 'public' }], rules: [{ matches: [{ path: { type: 'Prefix', value: '/' } }], backendRefs: [{ name: 'web', port: '8080' }] }] },
    };
    const subject = { checkId: 'WKL-06', severity: 'High', kind: 'HTTPRoute', namespace: 'agents', name: 'web' };
    expect(check(route)).toEqual([
      { ...subject, path: 'spec.rules[0].backendRefs[0].port', message: 'wrong type: expected integer, got string "8080"', fix: 'write spec.rules[0].backendRefs[0].port as the number 8080, without quotes' },
      { ...subject, path: 'spec.rules[0].matches[0].path.type', message: 'unsupported value "Prefix": must be one of "Exact", "PathPrefix", "RegularExpression"', fix: 'set spec.rules[0].matches[0].path.type to one of "Exact", "PathPrefix", "RegularExpression"' },
    ]);
  });

  it('warns (Medium) about external-secrets.io/v1beta1 when v1 exists (D-SKR-18) and accepts v1', () => {
    const es = (apiVersion: string): Obj => ({
      apiVersion,
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: 'agents' },
      spec: { refreshInterval: '1h', secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' }, target: { name: 'db', creationPolicy: 'Owner' }, data: [{ secretKey: 'password', remoteRef: { key: 'agents/db', property: 'password' } }] },
    });
    expect(check(es('external-secrets.io/v1beta1'))).toEqual([
      {
        checkId: 'WKL-06', severity: 'Medium', kind: 'ExternalSecret', namespace: 'agents', name: 'db', path: 'apiVersion',
        message: 'apiVersion "external-secrets.io/v1beta1" of ExternalSecret is deprecated: external-secrets.io/v1 is available',
        fix: 'change apiVersion to external-secrets.io/v1 and check the fields that changed between the versions',
      },
    ]);
    expect(check(es('external-secrets.io/v1'))).toEqual([]);
  });

  it('warns (Medium) about gateway.networking.k8s.io/v1beta1 HTTPRoute', () => {
    const route = { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'agents' }, spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] } };
    expect(check(route).map((f) => [f.severity, f.message])).toEqual([
      ['Medium', 'apiVersion "gateway.networking.k8s.io/v1beta1" of HTTPRoute is deprecated: gateway.networking.k8s.io/v1 is available'],
    ]);
  });

  it('accepts valid cert-manager, external-secrets, prometheus-operator, Gateway API and sealed-secrets objects', () => {
    const objects: Obj[] = [
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web-tls', namespace: 'agents' }, spec: { secretName: 'web-tls', dnsNames: ['agents.example.com'], duration: '2160h', renewBefore: '360h', privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' }, issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'selfsigned', namespace: 'agents' }, spec: { selfSigned: {} } },
      { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt' }, spec: { acme: { server: 'https://acme-v02.api.letsencrypt.org/directory', email: 'ops@example.com', privateKeySecretRef: { name: 'letsencrypt-account' }, solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }] } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'vault', namespace: 'agents' }, spec: { provider: { vault: { server: 'https://vault.example.com', path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: 'agents' } } } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: 'aws' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } } } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'web', namespace: 'agents' }, spec: { selector: { matchLabels: { app: 'web' } }, podMetricsEndpoints: [{ port: 'metrics', interval: '30s' }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'web', namespace: 'agents' }, spec: { groups: [{ name: 'web', rules: [{ alert: 'WebDown', expr: 'up{job="web"} == 0', for: '5m', labels: { severity: 'critical' }, annotations: { summary: 'web is down' } }] }] } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'gateways' }, spec: { gatewayClassName: 'nginx', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: '*.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'wildcard-tls' }] }, allowedRoutes: { namespaces: { from: 'All' } } }] } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'rpc', namespace: 'agents' }, spec: { parentRefs: [{ name: 'public', namespace: 'gateways' }], rules: [{ matches: [{ method: { service: 'agents.v1.Agent' } }], backendRefs: [{ name: 'rpc', port: 9090 }] }] } },
      { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'db', namespace: 'agents' }, spec: { encryptedData: { password: 'AgBy3i4OJSWK+PiTySYZZA==' }, template: { metadata: { name: 'db', namespace: 'agents' }, type: 'Opaque' } } },
    ];
    expect(check(objects)).toEqual([]);
  });

  it('checks custom resource metadata strictly too', () => {
    const cert = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web-tls', namespace: 'agents', annotation: { a: 'b' } }, spec: { secretName: 'web-tls', issuerRef: { name: 'letsencrypt' } } };
    expect(check(cert)).toEqual([
      { checkId: 'WKL-06', severity: 'High', kind: 'Certificate', namespace: 'agents', name: 'web-tls', path: 'metadata.annotation', message: 'unknown field "annotation"', fix: 'rename it to "annotations"' },
    ]);
  });
});

describe('validateSchema: synthesized cdk8s output', () => {
  it('accepts the objects cdk8s-plus-28 generates for a typical agent bundle', () => {
    const chart = new Chart(Testing.app(), 'bundle');
    const labels = { 'app.kubernetes.io/name': 'agent' };
    const podSpec = {
      containers: [
        {
          name: 'agent',
          image: 'registry.example.com/agent:1.0.0',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('256Mi') }, limits: { memory: k8s.Quantity.fromString('512Mi') } },
          readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('http') } },
        },
      ],
    };
    new k8s.KubeNamespace(chart, 'ns', { metadata: { name: 'agents', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    new k8s.KubeDeployment(chart, 'deploy', { metadata: { name: 'agent', namespace: 'agents' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } });
    new k8s.KubeService(chart, 'svc', { metadata: { name: 'agent', namespace: 'agents' }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: k8s.IntOrString.fromString('http') }] } });
    new k8s.KubePodDisruptionBudget(chart, 'pdb', { metadata: { name: 'agent', namespace: 'agents' }, spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } } });
    new k8s.KubeHorizontalPodAutoscalerV2(chart, 'hpa', { metadata: { name: 'agent', namespace: 'agents' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'agent' }, minReplicas: 2, maxReplicas: 6, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] } });
    new k8s.KubeNetworkPolicy(chart, 'np', { metadata: { name: 'agent', namespace: 'agents' }, spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress', 'Egress'], egress: [{ ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }] }] } });
    new k8s.KubeCronJob(chart, 'cron', { metadata: { name: 'cleanup', namespace: 'agents' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } } } });
    new k8s.KubeStatefulSet(chart, 'sts', { metadata: { name: 'redis', namespace: 'agents' }, spec: { serviceName: 'redis', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec }, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString('1Gi') } } } }] } });
    new k8s.KubeIngress(chart, 'ing', { metadata: { name: 'agent', namespace: 'agents' }, spec: { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'], secretName: 'tls' }], rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'agent', port: { name: 'http' } } } }] } }] } });
    new k8s.KubeRole(chart, 'role', { metadata: { name: 'agent', namespace: 'agents' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['agent'] }] });
    new k8s.KubeRoleBinding(chart, 'rb', { metadata: { name: 'agent', namespace: 'agents' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent' }, subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'agents' }] });
    const objects = Testing.synth(chart) as Obj[];
    expect(objects).toHaveLength(11);
    expect(check(objects)).toEqual([]);
  });
});

describe('validateSchema: caching', () => {
  it('loads a validator once per apiVersion/kind and reuses it', () => {
    const first = resolveKind('apps/v1', 'Deployment');
    expect(isResolved(first)).toBe(true);
    expect(resolveKind('apps/v1', 'Deployment')).toBe(first);
  });

  it('gives the same findings when the same object is validated again', () => {
    const d = deployment();
    d.spec.replicas = 'three';
    const once = check(d);
    expect(once).toHaveLength(1);
    expect(check(d)).toEqual(once);
  });
});
