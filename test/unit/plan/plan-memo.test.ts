/** The daemon's plan memo: the same plan object while the lab, node, release and unhealthy set are the same. */
import test from 'ava';
import { memoPlanNode, type PlanMemo } from '../../../daemon/plan/plan-memo.js';
import { planNode } from '../../../daemon/plan/plan.js';
import type { HealthView } from '../../../daemon/plan/real-servers.js';
import { KEY_RS1, KEY_RS2, seedWeb, tcpCheckEvery } from '../health/helpers.js';

const view = (entries: Record<string, boolean>): HealthView => new Map(Object.entries(entries).map(([k, healthy]) => [k, { healthy }]));
const inhibit = () => seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000) }));

test('unchanged inputs give back the same plan object; it equals planNode of them', (t) => {
  const lab = inhibit();
  const memo: PlanMemo = {};
  const first = memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS1]: true }) });
  t.deepEqual(first, planNode(lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS1]: true }) }));
  t.is(memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS1]: true }) }), first);
  t.is(memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS1]: true, [KEY_RS2]: true }) }), first, 'all healthy, whatever the view holds');
  t.is(memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0' }), first, 'no view is all healthy');
});

test('a real server turning unhealthy, another lab object, node or release plans again', (t) => {
  const lab = inhibit();
  const memo: PlanMemo = {};
  const first = memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0' });
  const down = memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS2]: false }) });
  t.not(down, first);
  t.deepEqual(down.desired.ipvs[0]?.realServers.map((r) => r.weight), [1, 0]);
  t.deepEqual(down, planNode(lab, 'ds', { kernelRelease: '6.1.0', health: view({ [KEY_RS2]: false }) }));
  const up = memoPlanNode(memo, lab, 'ds', { kernelRelease: '6.1.0' });
  t.deepEqual(up.desired.ipvs[0]?.realServers.map((r) => r.weight), [1, 1]);
  const reloaded = inhibit();
  t.not(memoPlanNode(memo, reloaded, 'ds', { kernelRelease: '6.1.0' }), up, 'a reload: a new lab object');
  const client = memoPlanNode(memo, reloaded, 'client', { kernelRelease: '6.1.0' });
  t.deepEqual(client, planNode(reloaded, 'client', { kernelRelease: '6.1.0' }));
  t.not(memoPlanNode(memo, reloaded, 'client', { kernelRelease: '5.4.0' }), client);
});
