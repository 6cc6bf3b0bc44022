/** The reload's lane: background tool runs wait while urgent work runs, and go on once it settles. */
import test from 'ava';
import { priorityLane, URGENT_NICE } from '../../../daemon/service/priority-lane.js';
import { fakeRunner } from '../kernel/helpers.js';

test('a background run asked for during urgent work starts only after that work settles, failed or not', async (t) => {
  const { runner, calls } = fakeRunner();
  const lane = priorityLane(runner);
  let release!: () => void;
  const urgent = lane.ahead(async () => {
    await runner.run(['ipvsadm', '-R']);
    await new Promise<void>((r) => { release = r; });
    await runner.run(['conntrack', '-D']);
    throw new Error('the urgent work failed');
  });
  const background = lane.background.run(['ipvsadm', '-S', '-n']);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(calls.map((c) => c.argv[0]), ['ipvsadm'], 'the background run started during the urgent work');
  release();
  await t.throwsAsync(urgent, { message: 'the urgent work failed' });
  await background;
  t.deepEqual(calls.map((c) => c.argv.join(' ')), ['ipvsadm -R', 'conntrack -D', 'ipvsadm -S -n']);
});

test('without urgent work a background run starts at once', async (t) => {
  const { runner, calls } = fakeRunner();
  const lane = priorityLane(runner);
  const pending = lane.background.run(['iptables-save']);
  t.is(calls.length, 1);
  await pending;
});

test('the urgent runner starts its programs at URGENT_NICE; the background one at the caller\'s', async (t) => {
  const { runner, calls } = fakeRunner();
  const lane = priorityLane(runner);
  await lane.urgent.run(['ipvsadm', '-R'], { input: '-d -u 10.0.0.1:7 -r 10.0.1.1:9007\n' });
  await lane.background.run(['ipvsadm', '-S', '-n']);
  t.deepEqual(calls.map((c) => c.options?.nice), [URGENT_NICE, undefined]);
  t.is(calls[0]?.options?.input, '-d -u 10.0.0.1:7 -r 10.0.1.1:9007\n');
});

test('this process runs at URGENT_NICE while urgent work is under way, and at its own nice again after', async (t) => {
  const { runner } = fakeRunner();
  let nice = 0;
  const seen: number[] = [];
  const lane = priorityLane(runner, { get: () => nice, set: (n) => { nice = n; seen.push(n); } });
  await lane.ahead(async () => {
    t.is(nice, URGENT_NICE);
  });
  t.is(nice, 0);
  t.deepEqual(seen, [URGENT_NICE, 0]);
});

test('a process nice value that cannot be raised leaves the urgent work running as it is', async (t) => {
  const { runner } = fakeRunner();
  const lane = priorityLane(runner, { get: () => 0, set: () => { throw new Error('EACCES'); } });
  t.is(await lane.ahead(async () => 'done'), 'done');
});
