/** The order `lvslab up` starts a lab's daemons in: backends before their balancer when it checks them. */
import test from 'ava';
import { startWaves } from '../../../daemon/lab/namespace-lab.js';
import { labFrom } from '../plan/helpers.js';

const names = (waves: ReturnType<typeof startWaves>) => waves.map((wave) => wave.map((n) => n.name));

test('a lab with a health check starts its real servers and client first, then its director', (t) => {
  t.deepEqual(names(startWaves(labFrom('labs/seed.yaml'))), [['client', 'rs1', 'rs2'], ['ds']]);
  t.deepEqual(names(startWaves(labFrom('labs/wrr.yaml'))), [['user', 'web1', 'web2'], ['lb']]);
});

test('a lab without health checks starts every daemon at once, in the lab\'s order', (t) => {
  const unchecked = labFrom('labs/seed.yaml', (text) => text.replace(/^ {4}healthCheck: .*\n/m, ''));
  t.deepEqual(names(startWaves(unchecked)), [['ds', 'client', 'rs1', 'rs2']]);
  t.deepEqual(names(startWaves(labFrom('labs/kube.yaml'))), [labFrom('labs/kube.yaml').nodes.map((n) => n.name)]);
});
