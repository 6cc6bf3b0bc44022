/** The health monitor with a scripted checker: transitions, no overlap, reload, stop, director only. */
import test from 'ava';
import { nextCheckDelay, startHealthMonitor, type Checker, type HealthEvent } from '../../../daemon/health/monitor.js';
import type { HealthTarget } from '../../../daemon/health/targets.js';
import { KEY_RS1, KEY_RS2, eventually, seedLab, seedWeb, sleep, tcpCheckEvery } from './helpers.js';

/** A checker whose answer per real server ip the test sets; it records every call. */
function scripted(delayMs = 0) {
  const failing = new Set<string>();
  const calls: HealthTarget[] = [];
  /** Checks under way, and the most seen at once, per real server. */
  const running = new Map<string, number>();
  let maxRunning = 0;
  const check: Checker = async (target) => {
    calls.push(target);
    const now = (running.get(target.key) ?? 0) + 1;
    running.set(target.key, now);
    maxRunning = Math.max(maxRunning, now);
    if (delayMs > 0) await sleep(delayMs);
    running.set(target.key, (running.get(target.key) ?? 1) - 1);
    return failing.has(target.ip) ? { ok: false, error: `connect ECONNREFUSED ${target.ip}:${target.port}` } : { ok: true };
  };
  return { check, failing, calls, maxRunning: () => maxRunning };
}

const checked = (intervalMs = 20) => seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(intervalMs) }));

test('the director checks every real server; a failing one goes down after fall checks, then up after rise', async (t) => {
  const script = scripted();
  const events: HealthEvent[] = [];
  script.failing.add('192.168.113.98');
  const monitor = startHealthMonitor(checked(), 'ds', { check: script.check, onTransition: (e) => events.push(e) });
  t.teardown(() => monitor.stop());
  t.deepEqual([...monitor.snapshot().keys()].sort(), [KEY_RS2, KEY_RS1]);
  t.true(await eventually(() => events.length === 1));
  const down = events[0]!;
  t.like(down, { key: KEY_RS2, virtualServer: 'web', node: 'rs2', ip: '192.168.113.98', port: 8080, transition: 'down' });
  t.is(down.reason, 'rs2 192.168.113.98:8080 (web) DOWN after 2 failures: connect ECONNREFUSED 192.168.113.98:8080');
  t.false(monitor.snapshot().get(KEY_RS2)?.healthy);
  t.true(monitor.snapshot().get(KEY_RS1)?.healthy);
  script.failing.clear();
  t.true(await eventually(() => events.length === 2));
  t.like(events[1], { key: KEY_RS2, transition: 'up', reason: 'rs2 192.168.113.98:8080 (web) UP after 2 successes' });
  t.true(monitor.snapshot().get(KEY_RS2)?.healthy);
});

test('checks of one real server never overlap, even when a check outlasts the interval', async (t) => {
  const script = scripted(60);
  const monitor = startHealthMonitor(checked(10), 'ds', { check: script.check, onTransition: () => undefined });
  t.true(await eventually(() => script.calls.length >= 8), `${script.calls.length} checks`);
  monitor.stop();
  t.is(script.maxRunning(), 1, 'at most one check at a time per real server');
});

test('only the director checks, and only virtual servers with a healthCheck', (t) => {
  const script = scripted();
  for (const node of ['rs1', 'client', 'nosuch']) {
    const monitor = startHealthMonitor(checked(), node, { check: script.check, onTransition: () => undefined });
    t.is(monitor.snapshot().size, 0, node);
    monitor.stop();
  }
  const unchecked = startHealthMonitor(seedWeb(({ healthCheck: _, ...vs }) => vs), 'ds', { check: script.check, onTransition: () => undefined });
  t.is(unchecked.snapshot().size, 0);
  unchecked.stop();
  t.is(script.calls.length, 0);
});

test('update: unchanged real servers keep their state, removed ones go, new ones start healthy', async (t) => {
  const script = scripted();
  script.failing.add('192.168.113.98');
  const events: HealthEvent[] = [];
  const monitor = startHealthMonitor(checked(), 'ds', { check: script.check, onTransition: (e) => events.push(e) });
  t.teardown(() => monitor.stop());
  t.true(await eventually(() => monitor.snapshot().get(KEY_RS2)?.healthy === false));
  // rs1 leaves the lab, rs2 stays (still failing), a new real server rs1:9090 comes
  const reloaded = seedWeb((vs) => ({
    ...vs,
    healthCheck: tcpCheckEvery(20),
    realServers: [{ node: 'rs2', port: 8080, weight: 1 }, { node: 'rs1', port: 9090, weight: 1 }],
  }));
  monitor.update(reloaded);
  const key9090 = '10.10.0.1:8410/tcp -> 192.168.113.99:9090';
  t.deepEqual([...monitor.snapshot().keys()].sort(), [KEY_RS2, key9090].sort());
  t.false(monitor.snapshot().get(KEY_RS2)?.healthy);
  t.like(monitor.snapshot().get(key9090), { healthy: true, failures: 0 });
  const before = script.calls.length;
  await sleep(80);
  const since = script.calls.slice(before);
  t.false(since.some((c) => c.key === KEY_RS1), 'a removed real server is not checked any more');
  t.true(since.some((c) => c.key === key9090));
  t.is(events.filter((e) => e.transition === 'down').length, 1, 'rs2 did not go down a second time');
});

test('update: a changed check keeps the state and uses the new settings', async (t) => {
  const script = scripted();
  script.failing.add('192.168.113.98');
  const monitor = startHealthMonitor(checked(), 'ds', { check: script.check, onTransition: () => undefined });
  t.teardown(() => monitor.stop());
  t.true(await eventually(() => monitor.snapshot().get(KEY_RS2)?.healthy === false));
  monitor.update(seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(50, { rise: 5 }) })));
  script.failing.clear();
  await sleep(120); // checks at 0, 50, 100 ms: 3 successes; the 5th comes at 200 ms
  t.false(monitor.snapshot().get(KEY_RS2)?.healthy, 'rise is now 5');
  t.true(await eventually(() => monitor.snapshot().get(KEY_RS2)?.healthy === true));
  t.is(script.calls.at(-1)?.check.rise, 5);
});

test('stop: no check starts after it', async (t) => {
  const script = scripted();
  const monitor = startHealthMonitor(checked(), 'ds', { check: script.check, onTransition: () => undefined });
  await sleep(50);
  monitor.stop();
  const count = script.calls.length;
  await sleep(80);
  t.is(script.calls.length, count);
});

test('a throwing onTransition goes to onError; a throwing checker counts as a failure', async (t) => {
  const errors: unknown[] = [];
  const monitor = startHealthMonitor(checked(), 'ds', {
    check: async () => {
      throw new Error('boom');
    },
    onTransition: () => {
      throw new Error('caller bug');
    },
    onError: (e) => errors.push(e),
  });
  t.teardown(() => monitor.stop());
  t.true(await eventually(() => errors.length === 2));
  t.is(monitor.snapshot().get(KEY_RS1)?.lastError, 'boom');
  t.is((errors[0] as Error).message, 'caller bug');
});

test('after a failure of a server still up, the next check comes after retryDelay, not the interval (keepalived delay_before_retry)', async (t) => {
  const script = scripted();
  const events: HealthEvent[] = [];
  script.failing.add('192.168.113.98');
  // a 60 s interval: only the retries can bring the third failure within the test
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(60_000, { retryDelayMs: 20, fall: 3 }) }));
  const monitor = startHealthMonitor(lab, 'ds', { check: script.check, onTransition: (e) => events.push(e) });
  t.teardown(() => monitor.stop());
  t.true(await eventually(() => events.length === 1));
  t.like(events[0], { key: KEY_RS2, transition: 'down' });
  t.is(script.calls.filter((c) => c.key === KEY_RS2).length, 3, 'three checks of rs2: the first and two retries');
  t.is(script.calls.filter((c) => c.key === KEY_RS1).length, 1, 'rs1 passed once and waits for its interval');
});

test('nextCheckDelay: the interval from the start of the last check; the retry delay after a failure of a server still up', (t) => {
  const check = { intervalMs: 2000, retryDelayMs: 300 };
  const up = { healthy: true, successes: 3, failures: 0, since: '' };
  t.is(nextCheckDelay(up, check, 120), 2000);
  t.is(nextCheckDelay(up, check, 2500), 2500, 'a check longer than the interval: the next starts at once');
  t.is(nextCheckDelay({ ...up, successes: 0, failures: 1 }, check, 120), 420);
  t.is(nextCheckDelay({ healthy: false, successes: 0, failures: 5, since: '' }, check, 120), 2000, 'a server already down is checked on the interval');
});
