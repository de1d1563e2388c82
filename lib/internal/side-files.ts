import type { IConstruct } from 'constructs';

/** Renders files written next to a chart's YAML, from the chart's synthesized (and verified) objects. */
export type SideFileRenderer = (objects: readonly object[]) => Readonly<Record<string, string>>;

const renderers = new WeakMap<IConstruct, SideFileRenderer[]>();

/**
 * Registers files a chart writes next to its YAML (`<chart>.<suffix>`),
 * rendered at synth from the chart's objects, so they show what was
 * synthesized. {@link AgentPlatformApp} writes them.
 */
export function registerSideFiles(chart: IConstruct, render: SideFileRenderer): void {
  const list = renderers.get(chart) ?? [];
  list.push(render);
  renderers.set(chart, list);
}

/** The files registered for `chart`, by suffix, rendered from its objects. */
export function renderSideFiles(chart: IConstruct, objects: readonly object[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const render of renderers.get(chart) ?? []) {
    for (const [suffix, text] of Object.entries(render(objects))) {
      if (suffix in out) throw new Error(`${chart.node.path}: two side files named ${suffix}; give each platform of a chart its own chart`);
      out[suffix] = text;
    }
  }
  return out;
}
