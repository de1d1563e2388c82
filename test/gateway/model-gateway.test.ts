import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DomainEgress, ModelGateway, SecureAgentDeployment, type ModelGatewayProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const GATEWAY: ModelGatewayProps = {
  namespace: 'llm',
  image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable',
  providers: [
    { provider: 'openai', models: ['gpt-4o', 'gpt-4o-mini'], apiKey: { secretName: 'llm-keys', key: 'openai' } },
    { provider: 'anthropic', models: ['claude-sonnet-4-5'], apiKey: { secretName: 'llm-keys', key: 'anthropic' } },
  ],
};

function build(props: ModelGatewayProps = GATEWAY, enforcement: 'cilium' | 'proxy' = 'cilium'): Obj[] {
  return synth(
    (chart) => {
      new DomainEgress(chart, 'Egress', {
        enforcement: enforcement === 'cilium' ? { type: 'cilium' } : { type: 'proxy', proxy: { namespace: 'egress', image: 'ubuntu/squid:6.6-24.04_edge' } },
      });
      const gateway = new ModelGateway(chart, 'Gateway', props);
      const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.0.0' });
      gateway.connect(agent);
    },
    { external: ['Secret/llm/llm-keys'] },
  );
}

describe('ModelGateway', () => {
  it('runs LiteLLM with one config entry per model and the provider keys from Secrets', () => {
    const objs = build();
    expect(objs).toMatchSnapshot();
    expect(parse(one(objs, 'ConfigMap', 'model-gateway-config').data['config.yaml'])).toEqual({
      model_list: [
        { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' } },
        { model_name: 'gpt-4o-mini', litellm_params: { model: 'openai/gpt-4o-mini', api_key: 'os.environ/OPENAI_API_KEY' } },
        { model_name: 'claude-sonnet-4-5', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_key: 'os.environ/ANTHROPIC_API_KEY' } },
      ],
      litellm_settings: { drop_params: true, telemetry: false },
    });
    expect(one(objs, 'Deployment', 'model-gateway').spec.template.spec.containers[0].env).toEqual([
      { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'llm-keys', key: 'openai' } } },
      { name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'llm-keys', key: 'anthropic' } } },
    ]);
  });

  it('alone reaches the provider domains; the agent reaches only the gateway, with base URLs and no key', () => {
    const objs = build();
    const cnp = one(objs, 'CiliumNetworkPolicy', 'model-gateway-egress-domains');
    expect(cnp.spec.egress.slice(1).map((r: Obj) => r.toFQDNs)).toEqual([[{ matchName: 'api.openai.com' }], [{ matchName: 'api.anthropic.com' }]]);
    const agent = one(objs, 'Deployment', 'agent').spec.template.spec.containers[0];
    expect(agent.env).toEqual(
      expect.arrayContaining([
        { name: 'OPENAI_BASE_URL', value: 'http://model-gateway.llm.svc.cluster.local:4000/v1' },
        { name: 'ANTHROPIC_BASE_URL', value: 'http://model-gateway.llm.svc.cluster.local:4000' },
      ]),
    );
    expect(agent.env.filter((e: Obj) => /API_KEY|SECRET/.test(e.name) || e.valueFrom)).toEqual([]);
    expect(one(objs, 'NetworkPolicy', 'agent').spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'llm' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'model-gateway' } } }], ports: [{ protocol: 'TCP', port: 4000 }] },
    ]);
    expect(objs.filter((o) => o.kind === 'CiliumNetworkPolicy').map((o) => o.metadata.name)).toEqual(['model-gateway-egress-domains']);
    expect(one(objs, 'NetworkPolicy', 'model-gateway').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } },
    ]);
  });

  it('goes through the egress proxy when that is the enforcement point', () => {
    const env = one(build(GATEWAY, 'proxy'), 'Deployment', 'model-gateway').spec.template.spec.containers[0].env.map((e: Obj) => e.name);
    expect(env).toEqual(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'HTTPS_PROXY', 'NO_PROXY']);
  });

  it('falls back from one model to others in order (LiteLLM router_settings.fallbacks)', () => {
    const objs = build({ ...GATEWAY, fallbacks: [{ model: 'gpt-4o', to: ['claude-sonnet-4-5', 'gpt-4o-mini'] }] });
    expect(parse(one(objs, 'ConfigMap', 'model-gateway-config').data['config.yaml']).router_settings).toEqual({ fallbacks: [{ 'gpt-4o': ['claude-sonnet-4-5', 'gpt-4o-mini'] }] });
  });

  it('rejects fallbacks naming models the providers do not list, the model itself, a model twice, or none', () => {
    const fallbacks = [
      { model: 'gpt-5', to: ['gpt-4o'] },
      { model: 'gpt-4o', to: ['gpt-4o', 'claude-3'] },
      { model: 'gpt-4o', to: ['gpt-4o-mini'] },
    ];
    expect(errorOf(() => build({ ...GATEWAY, fallbacks }))).toBe(
      [
        'invalid props for test/Gateway:',
        '  test/Gateway props.fallbacks[0].model: is no model of the providers, got "gpt-5"; use one of gpt-4o, gpt-4o-mini, claude-sonnet-4-5',
        '  test/Gateway props.fallbacks[1].to[0]: is the model itself, got "gpt-4o"; fall back to another model',
        '  test/Gateway props.fallbacks[1].to[1]: is no model of the providers, got "claude-3"; use one of gpt-4o, gpt-4o-mini, claude-sonnet-4-5',
        '  test/Gateway props.fallbacks[2].model: has a fallback already, got "gpt-4o"; give each model one list, in order',
      ].join('\n'),
    );
    expect(errorOf(() => build({ ...GATEWAY, fallbacks: [{ model: 'gpt-4o', to: [] }] }))).toBe(
      ['invalid props for test/Gateway:', '  test/Gateway props.fallbacks[0].to: is empty, got []; list the models to try instead'].join('\n'),
    );
  });

  it('rejects a gateway with no provider, a provider twice, and needs a DomainEgress', () => {
    expect(errorOf(() => build({ ...GATEWAY, providers: [] }))).toContain(
      "test/Gateway props.providers: is empty: a model gateway with no provider serves nothing, got []; add a provider, like { provider: 'openai', models: ['gpt-4o'], apiKey: { secretName, key } }",
    );
    expect(errorOf(() => build({ ...GATEWAY, providers: [GATEWAY.providers[0]!, GATEWAY.providers[0]!] }))).toContain('test/Gateway props.providers[1].provider: lists openai twice');
    expect(errorOf(() => synth((chart) => new ModelGateway(chart, 'Gateway', GATEWAY)))).toBe(
      'test/Gateway: declares egress domains, but the app has no DomainEgress; create one to choose where domains are enforced (cilium, istio, gke, proxy)',
    );
  });
});
