// Floor for objects of a given size: the objects of some synthesized YAML
// files written again by plain cdk8s (an App, a Chart per file, an ApiObject
// per object, `app.synth()`), with none of this library: no construct logic,
// no verification. Built <copies> times in one process, each copy an app of
// its own, so the per-object cost can be taken as a difference of two counts.
// Usage: node plain-app.mjs <yaml dir> <outdir> <copies>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';

const [from, outdir, count] = process.argv.slice(2);
const files = readdirSync(from).filter((f) => f.endsWith('.k8s.yaml'));
const charts = files.map((f) => [f.slice(0, -'.k8s.yaml'.length), parseAllDocuments(readFileSync(join(from, f), 'utf8')).map((d) => d.toJSON())]);
let objects = 0;
for (let i = 0; i < Number(count); i++) {
  const app = new App({ outdir: i === 0 ? outdir : join(outdir, `copy-${i}`) });
  for (const [id, docs] of charts) {
    const chart = new Chart(app, id);
    docs.forEach((doc, k) => new ApiObject(chart, `Object${k}`, doc));
    objects += docs.length;
  }
  app.synth();
}
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects }));
