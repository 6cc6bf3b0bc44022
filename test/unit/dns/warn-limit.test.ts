import test from 'ava';
import { createWarnLimit } from '../../../daemon/dns/warn-limit.js';

test('one warning per interval; the next one let through carries the count held back', (t) => {
  let now = 0;
  const limit = createWarnLimit(1000, () => now);
  t.is(limit.admit(), 0);
  now = 10;
  t.is(limit.admit(), undefined);
  now = 999;
  t.is(limit.admit(), undefined);
  now = 1000;
  t.is(limit.admit(), 2);
  t.is(limit.admit(), undefined);
  t.is(limit.flush(), 1);
  t.is(limit.flush(), 0);
  now = 5000;
  t.is(limit.admit(), 0);
});
