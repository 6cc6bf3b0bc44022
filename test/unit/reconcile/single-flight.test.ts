import test from 'ava';
import { singleFlight } from '../../../daemon/reconcile/single-flight.js';

test('triggers during a run coalesce into exactly one more run', async (t) => {
  let runs = 0;
  let release: () => void = () => undefined;
  const flight = singleFlight(async () => {
    runs += 1;
    if (runs === 1) await new Promise<void>((r) => { release = r; });
    return runs;
  });
  const first = flight.trigger();
  t.true(flight.running);
  const second = flight.trigger();
  const third = flight.trigger();
  t.is(second, third, 'all triggers during a run share the next run');
  release();
  t.is(await first, 1);
  t.is(await second, 2);
  t.is(runs, 2);
  t.false(flight.running);
});

test('a failed run does not block the next one', async (t) => {
  let runs = 0;
  const flight = singleFlight(async () => {
    runs += 1;
    if (runs === 1) throw new Error('boom');
    return runs;
  });
  const first = flight.trigger();
  const second = flight.trigger();
  await t.throwsAsync(first, { message: 'boom' });
  t.is(await second, 2);
});
