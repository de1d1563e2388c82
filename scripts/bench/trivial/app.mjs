// The trivial cdk8s app, through the cdk8s CLI: one ConfigMap.
import { App, Chart, ApiObject } from 'cdk8s';

const app = new App();
const chart = new Chart(app, 'trivial');
new ApiObject(chart, 'Cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trivial' }, data: { a: '1' } });
app.synth();
