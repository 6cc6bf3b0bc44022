import test from 'ava';
import { driftRepairedBy } from '../../../daemon/service/drift.js';

const converged = { ok: true, changes: [], remaining: 0, draining: [] };
const repaired = { ok: true, changes: ['ipvs tcp:10.10.0.1:80 → 192.168.113.99:8080: weight 0 → 1'], remaining: 0, draining: [] };
const draining = [{ key: 'tcp 10.10.0.1:80 192.168.113.99:8080', since: '2026-12-02T12:00:00.000Z', deadline: '2026-12-02T12:05:00.000Z' }];

test('a scheduled run that changed a converged node repaired drift', (t) => {
  t.true(driftRepairedBy(repaired, converged, ['schedule']));
});

test('not drift: changes asked for by a start, a reload or a health transition, even alongside the schedule', (t) => {
  for (const cause of ['start', 'reload', 'health'] as const) t.false(driftRepairedBy(repaired, converged, ['schedule', cause]), cause);
  t.false(driftRepairedBy(repaired, converged, []));
});

test('not drift: the run before had not converged, was draining, failed, was superseded, or there was none', (t) => {
  t.false(driftRepairedBy(repaired, { ...converged, remaining: 1 }, ['schedule']));
  t.false(driftRepairedBy(repaired, { ...converged, draining }, ['schedule']));
  t.false(driftRepairedBy(repaired, { ...converged, ok: false }, ['schedule']));
  t.false(driftRepairedBy(repaired, { ...converged, superseded: true }, ['schedule']));
  t.false(driftRepairedBy(repaired, undefined, ['schedule']));
});

test('not drift: a run that changed nothing, failed, or was superseded', (t) => {
  t.false(driftRepairedBy(converged, converged, ['schedule']));
  t.false(driftRepairedBy({ ...repaired, ok: false }, converged, ['schedule']));
  t.false(driftRepairedBy({ ...repaired, superseded: true }, converged, ['schedule']));
});
