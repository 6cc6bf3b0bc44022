/** A reload's IPVS changes, from the plans of the lab in force and of the new lab (pure). */
import test from 'ava';
import { planNode } from '../../../daemon/plan/plan.js';
import { reloadIpvsChanges } from '../../../daemon/plan/reload.js';
import { describeChange } from '../../../daemon/plan/describe.js';
import { realServerId } from '../../../daemon/plan/keys.js';
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

test('a TCP endpoint back while it drains (IPVS holds it at weight 0): its weight is edited, not added again (ipvsadm refuses an existing destination)', (t) => {
  const withoutRs1 = planNode(labFrom('labs/kube.yaml', (text) => text.replace('      - { node: rs1 }\n      - { node: rs2 }\n  # ClusterIP', '      - { node: rs2 }\n  # ClusterIP')), 'ds').desired;
  const back = planNode(inForce, 'ds').desired;
  const added = reloadIpvsChanges(withoutRs1, back).filter((c) => c.kind === 'rs-add');
  t.deepEqual(reloadIpvsChanges(withoutRs1, back).map((c) => c.kind), added.map(() => 'rs-add'), 'not draining: added');
  t.true(added.length > 0 && added.every((c) => c.real.address === '192.168.113.99'));
  const draining = Object.fromEntries(added.map((c) => [realServerId(c.service, c.real), Date.now() - 1000]));
  const edited = reloadIpvsChanges(withoutRs1, back, draining);
  t.deepEqual(edited.map((c) => c.kind), added.map(() => 'rs-edit'));
  for (const c of edited) t.regex(describeChange(c), /192\.168\.113\.99:\d+: nat\/weight 0 → nat\/weight 1$/);
});

test('a service removed: its IPVS service deleted; the same lab: nothing', (t) => {
  t.deepEqual(changesTo((text) => text.slice(0, text.indexOf('  # ClusterIP only'))), ['ipvs udp:10.108.113.238:7: delete']);
  t.deepEqual(changesTo((text) => `${text}\n`), []);
});
