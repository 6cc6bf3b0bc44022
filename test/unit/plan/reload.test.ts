/** A reload's IPVS changes, from the plans of the lab in force and of the new lab (pure). */
import test from 'ava';
import { planNode } from '../../../daemon/plan/plan.js';
import { reloadIpvsChanges } from '../../../daemon/plan/reload.js';
import { describeChange } from '../../../daemon/plan/describe.js';
import { labFrom } from './helpers.js';

const ECHO_RS1 = '    targetPort: 9007\n    endpoints:\n      - { node: rs1 }\n';
const inForce = labFrom('labs/kube.yaml');
const changesTo = (edit: (text: string) => string) =>
  reloadIpvsChanges(planNode(inForce, 'ds').desired, planNode(labFrom('labs/kube.yaml', edit), 'ds').desired).map(describeChange);

test('a UDP endpoint removed: exactly its IPVS destination is deleted (its conntrack flows go with it)', (t) => {
  t.deepEqual(changesTo((text) => text.replace(ECHO_RS1, '    targetPort: 9007\n    endpoints:\n')), ['ipvs udp:10.108.113.238:7 → 192.168.113.99:9007: delete']);
});

test('a TCP endpoint removed is left to the reconcile, which drains it first', (t) => {
  t.deepEqual(changesTo((text) => text.replace('      - { node: rs1 }\n      - { node: rs2 }\n  # ClusterIP', '      - { node: rs2 }\n  # ClusterIP')), []);
});

test('a service removed: its IPVS service deleted; the same lab: nothing', (t) => {
  t.deepEqual(changesTo((text) => text.slice(0, text.indexOf('  # ClusterIP only'))), ['ipvs udp:10.108.113.238:7: delete']);
  t.deepEqual(changesTo((text) => `${text}\n`), []);
});
