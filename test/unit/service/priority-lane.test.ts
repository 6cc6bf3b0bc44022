/** The reload's lane: background tool runs wait while urgent work runs, and go on once it settles. */
import test from 'ava';
import { priorityLane } from '../../../daemon/service/priority-lane.js';
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
