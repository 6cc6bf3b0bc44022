/** reconcile with a fake kernel: health feeds the plan, drain start times go out and come back in. */
import test from 'ava';
import type { LabConfig } from '../../../daemon/config/types.js';
import type { Change } from '../../../daemon/kernel/changes.js';
import type { RealServerConnections } from '../../../daemon/kernel/ipvs/index.js';
import type { NodeKernel } from '../../../daemon/kernel/node-kernel.js';
import { realServerKey, type KernelState, type RealServer, type VirtualService } from '../../../daemon/kernel/types.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { BatchError } from '../../../daemon/kernel/batch.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import { MAX_SUPERSEDED_RUNS, reconcile, summarize, untilNotSuperseded } from '../../../daemon/reconcile/reconcile.js';
import { KEY_RS2, seedLab, seedWeb, tcpCheckEvery } from '../health/helpers.js';

/** A director whose kernel holds everything the plan wants except IPVS, which it keeps and edits. */
function fakeDirector(lab: LabConfig, ipvs: VirtualService[]) {
  let services = ipvs;
  const log: { applied: Change[][]; connectionReads: number } = { applied: [], connectionReads: 0 };
  let conns: RealServerConnections[] = [];
  const editReals = (s: VirtualService, changes: readonly Change[]): RealServer[] => {
    let reals = [...s.realServers];
    for (const c of changes) {
      if (c.kind !== 'rs-del' && c.kind !== 'rs-edit' && c.kind !== 'rs-add') continue;
      if (c.service.port !== s.port) continue;
      reals = reals.filter((r) => realServerKey(r) !== realServerKey(c.real));
      if (c.kind !== 'rs-del') reals.push(c.real);
    }
    return reals;
  };
  const kernel: NodeKernel = {
    observe: async (desired: KernelState) => ({ ...desired, sysctls: new Map(desired.sysctls.map((s) => [s.key, s.value])), ipvs: services, conflicts: [] }),
    connections: async () => {
      log.connectionReads++;
      return conns;
    },
    stats: async () => [],
    loadModules: async () => undefined,
    apply: async (changes) => {
      log.applied.push([...changes]);
      services = services.map((s) => ({ ...s, realServers: editReals(s, changes) }));
      return [{ step: 'ipvs', lines: changes.length, ms: 0 }];
    },
  };
  return { kernel, log, setConnections: (c: RealServerConnections[]) => (conns = c), ipvs: () => services };
}

const seed = seedLab();
const converged = () => planNode(seed, 'ds').desired.ipvs.map((s) => ({ ...s }));
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const rs2Conns = (active: number, inactive: number): RealServerConnections[] => [
  { service: { protocol: 'tcp', address: '10.10.0.1', port: 8410 }, real: { address: '192.168.113.98', port: 8080 }, weight: 0, active, inactive },
];

test('a real server removed from the lab drains: weight 0, held while it has connections, deleted when idle', async (t) => {
  const withoutRs2 = seedWeb((vs) => ({ ...vs, realServers: vs.realServers.filter((r) => r.node !== 'rs2') }));
  const fake = fakeDirector(withoutRs2, converged());

  const first = await reconcile(withoutRs2, 'ds', fake.kernel, { now: () => T0 });
  t.deepEqual(first.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: nat/weight 1 → nat/weight 0']);
  t.is(fake.log.connectionReads, 0, 'no ipvsadm -Ln while nothing at weight 0 is to be deleted');
  t.deepEqual(first.drainStarts, { [KEY_RS2]: T0 });
  t.is(first.remaining, 0, 'a draining real server is not a difference');
  t.is(first.draining.length, 1);
  t.regex(summarize(first), /1 changes applied in \d+ ms; 1 real server draining$/);

  fake.setConnections(rs2Conns(1, 2));
  const second = await reconcile(withoutRs2, 'ds', fake.kernel, { now: () => T0 + 5000, drainStarts: first.drainStarts });
  t.deepEqual(second.changes, []);
  t.is(fake.log.connectionReads, 1);
  t.deepEqual(second.draining, [{ key: KEY_RS2, since: '2026-01-01T00:00:00.000Z', deadline: '2026-01-01T00:00:30.000Z', connections: { active: 1, inactive: 2 } }]);

  fake.setConnections(rs2Conns(0, 0));
  const third = await reconcile(withoutRs2, 'ds', fake.kernel, { now: () => T0 + 6000, drainStarts: second.drainStarts });
  t.deepEqual(third.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: delete']);
  t.deepEqual(third.drainStarts, {});
  t.deepEqual(third.draining, []);
  t.deepEqual(fake.ipvs()[0]?.realServers.map(realServerKey), ['192.168.113.99:8080']);
});

test('the lab drain timeout deletes a busy real server', async (t) => {
  const lab = { ...seedWeb((vs) => ({ ...vs, realServers: vs.realServers.filter((r) => r.node !== 'rs2') })), drain: { timeoutMs: 1000 } };
  const fake = fakeDirector(lab, converged());
  fake.setConnections(rs2Conns(3, 0));
  const first = await reconcile(lab, 'ds', fake.kernel, { now: () => T0 });
  const late = await reconcile(lab, 'ds', fake.kernel, { now: () => T0 + 1000, drainStarts: first.drainStarts });
  t.deepEqual(late.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: delete']);
});

test('health: an unhealthy real server is inhibited (weight 0) and comes back when healthy', async (t) => {
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000) }));
  const fake = fakeDirector(lab, converged());
  const down = await reconcile(lab, 'ds', fake.kernel, { health: () => new Map([[KEY_RS2, { healthy: false }]]) });
  t.deepEqual(down.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: nat/weight 1 → nat/weight 0']);
  t.deepEqual(down.drainStarts, {});
  const up = await reconcile(lab, 'ds', fake.kernel, { health: () => new Map([[KEY_RS2, { healthy: true }]]) });
  t.deepEqual(up.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: nat/weight 0 → nat/weight 1']);
});

test('health as a function is asked again after observing: a transition during the observe is not written back', async (t) => {
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000) }));
  const fake = fakeDirector(lab, converged());
  // rs2 goes down while the kernel is being read; the health monitor wrote weight 0 at once
  let health = new Map([[KEY_RS2, { healthy: true }]]);
  const observe = fake.kernel.observe;
  const kernel: NodeKernel = {
    ...fake.kernel,
    observe: async (desired) => {
      const observed = await observe(desired);
      health = new Map([[KEY_RS2, { healthy: false }]]);
      return observed;
    },
  };
  const run = await reconcile(lab, 'ds', kernel, { health: () => health });
  t.deepEqual(run.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: nat/weight 1 → nat/weight 0'], 'planned with the health of after the observe');
  // the control: the health of before the observe (rs2 up) plans no change, leaving rs2 in rotation
  const stale = await reconcile(lab, 'ds', fakeDirector(lab, converged()).kernel, { health: () => new Map([[KEY_RS2, { healthy: true }]]) });
  t.deepEqual(stale.changes, []);
});

test('dry run and cleanup: no apply; cleanup deletes the service at once without reading connections', async (t) => {
  const fake = fakeDirector(seed, converged());
  const dry = await reconcile(seed, 'ds', fake.kernel, { dryRun: true, drainStarts: { [KEY_RS2]: T0 } });
  t.deepEqual(dry.changes, []);
  t.deepEqual(dry.drainStarts, {}, 'rs2 is wanted again: not draining');
  const cleanup = await reconcile(seed, 'ds', fake.kernel, { cleanup: true, drainStarts: { [KEY_RS2]: T0 } });
  t.true(cleanup.changes.includes('ipvs tcp:10.10.0.1:8410: delete'));
  t.is(fake.log.connectionReads, 0);
  t.deepEqual(cleanup.drainStarts, { [KEY_RS2]: T0 }, 'cleanup leaves the drain state as it was');
});

test('a run superseded by a reload while it reads the kernel writes nothing; the control run with the same kernel writes', async (t) => {
  // rs2 was deleted directly by a reload while this run (planned with the old lab, rs2 in) was observing
  const withoutRs2 = converged().map((s) => ({ ...s, realServers: s.realServers.filter((r) => realServerKey(r) !== '192.168.113.98:8080') }));
  let generation = 1;
  const fake = fakeDirector(seed, withoutRs2);
  const observe = fake.kernel.observe;
  const kernel: NodeKernel = {
    ...fake.kernel,
    observe: async (desired) => {
      const observed = await observe(desired);
      generation = 2;
      return observed;
    },
  };
  const run = await reconcile(seed, 'ds', kernel, { superseded: () => generation !== 1, drainStarts: { [KEY_RS2]: T0 } });
  t.true(run.superseded);
  t.deepEqual(run.changes, ['ipvs tcp:10.10.0.1:8410 → 192.168.113.98:8080: add (nat, weight 1)'], 'what it would have written');
  t.deepEqual(fake.log.applied, [], 'the old lab\'s rs2 is not written back');
  t.is(run.remaining, 1, 'not converged: what it did not write still differs');
  t.deepEqual(run.drainStarts, { [KEY_RS2]: T0 }, 'drain state unchanged');
  t.regex(summarize(run), /^ds: 1 changes not written \(the lab was reloaded while this run read the kernel\)/);
  // the control: not superseded, the same kernel state gets rs2 back
  const control = await reconcile(seed, 'ds', fake.kernel, { superseded: () => false });
  t.is(control.superseded, undefined);
  t.is(fake.log.applied.length, 1);
});

test('untilNotSuperseded starts a superseded run again, and gives up after MAX_SUPERSEDED_RUNS', async (t) => {
  const fake = fakeDirector(seed, converged().map((s) => ({ ...s, realServers: [] })));
  let generation = 0;
  const reported: number[] = [];
  // one reload lands while the first attempt reads the kernel; the second attempt runs undisturbed
  const observe = fake.kernel.observe;
  let observes = 0;
  const kernel: NodeKernel = {
    ...fake.kernel,
    observe: async (desired) => {
      if (++observes === 1) generation++;
      return observe(desired);
    },
  };
  const once = await untilNotSuperseded(() => generation, (superseded) => reconcile(seed, 'ds', kernel, { superseded }), (_r, n) => reported.push(n));
  t.is(once.superseded, undefined);
  t.deepEqual(reported, [1]);
  t.is(fake.log.applied.length, 1, 'only the second attempt wrote');

  // a reload during every attempt: the last superseded result is returned (the next scheduled run writes)
  const always: NodeKernel = { ...fake.kernel, observe: async (desired) => { generation++; return observe(desired); } };
  const before = fake.log.applied.length;
  await fake.kernel.apply([{ kind: 'rs-del', service: converged()[0]!, real: converged()[0]!.realServers[0]! }]);
  reported.length = 0;
  const given = await untilNotSuperseded(() => generation, (superseded) => reconcile(seed, 'ds', always, { superseded }), (_r, n) => reported.push(n));
  t.true(given.superseded);
  t.deepEqual(reported, Array.from({ length: MAX_SUPERSEDED_RUNS - 1 }, (_, i) => i + 1));
  t.is(fake.log.applied.length, before + 1, 'nothing written by any attempt (the one apply is the test\'s own delete)');
});

test('a run whose tool fails keeps the failure as data (program, argv, exit code), without the tool\'s stderr or batch', async (t) => {
  const { kernel } = fakeDirector(seed, []);
  const stderr = 'ipset v7.17: Error in line 1: 192.0.2.77 is not valid\n';
  const failing: NodeKernel = {
    ...kernel,
    apply: async () => {
      throw new BatchError(new ToolError({ argv: ['ipset', 'restore', '-exist'], exitCode: 1, stderr, durationMs: 5, timedOut: false }), 'add LVSLAB-blacklist 192.0.2.77\n', 'batch line 1');
    },
  };
  const r = await reconcile(seed, 'ds', failing, {});
  t.false(r.ok);
  t.regex(r.error ?? '', /ipset/);
  t.deepEqual(r.failure, { reason: "ipset exited 1; its stderr is in the daemon's log", argv: ['ipset', 'restore', '-exist'], exitCode: 1 });
  t.false(JSON.stringify(r.failure).includes('192.0.2.77'));
});
