import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Names, YamlOutputType, type AppProps } from 'cdk8s';
import { dump } from 'js-yaml';
import { renderSideFiles } from '../internal/side-files.js';
import { SynthError } from '../validation/report.js';
import { escapeForHelm, isHelmOutput } from '../validation/helm.js';
import { declaresDependencies, forgetVerification, verifiedCharts } from '../validation/synth.js';

/**
 * A cdk8s `App` that synthesizes faster, with the same files and objects:
 * every object is resolved once (the verification's result is reused for
 * writing, where a plain App resolves each chart again), and YAML is written
 * with js-yaml, about four times faster than the `yaml` package cdk8s uses.
 * Validation runs first, as in cdk8s, and a failure writes nothing: it
 * throws a {@link SynthError} whose message is the report.
 *
 * Output types other than one file per chart, and apps whose charts depend
 * on each other, take the plain cdk8s path. Files a construct registers
 * next to its chart's YAML (an {@link AgentPlatform}'s topology picture)
 * are written on the fast path only.
 */
export class AgentPlatformApp extends App {
  constructor(props: AppProps = {}) {
    super(props);
  }

  public override synth(): void {
    const all = this.node.findAll();
    // Dependencies (explicit, or nested charts) change the order and names
    // of the files cdk8s writes: leave those apps to cdk8s.
    if (this.yamlOutputType !== YamlOutputType.FILE_PER_CHART || declaresDependencies(all)) {
      super.synth();
      return;
    }
    // Resolve and verify afresh: the objects may have changed (JSON patches,
    // metadata edits) since an earlier synth of this app.
    forgetVerification(this);
    const errors: string[] = [];
    for (const c of all) {
      for (const e of c.node.validate()) errors.push(`${c.node.path || '<app>'}: ${e}`);
    }
    if (errors.length > 0) throw new SynthError(errors, []);

    const resolved = verifiedCharts(this);
    const helm = isHelmOutput(this);
    mkdirSync(this.outdir, { recursive: true });
    for (const chart of this.charts) {
      const verified = resolved?.get(chart);
      // The verified objects predate the Helm escapes the validation added.
      const objects = verified ? (helm ? escapeForHelm(verified) : verified) : (chart.toJson() as object[]);
      // YAML 1.1 compatibility (js-yaml's default) quotes strings such as
      // "yes" and "on" that kubectl's parser would read as booleans.
      const text = objects.map((o) => dump(o, { lineWidth: -1, noRefs: true })).join('---\n');
      const base = Names.toDnsLabel(chart);
      writeFileSync(join(this.outdir, `${base}${this.outputFileExtension}`), text, 'utf8');
      // Files some constructs write next to the YAML (a platform's topology), from the
      // same objects; not into a Helm chart's templates/, where Helm renders every file.
      if (helm) continue;
      for (const [suffix, content] of Object.entries(renderSideFiles(chart, verified ?? objects))) writeFileSync(join(this.outdir, `${base}.${suffix}`), content, 'utf8');
    }
  }
}
