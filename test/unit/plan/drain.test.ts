/** Graceful drain (pure): weight 0 first, delete when idle or after the timeout, UDP at once. */
import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import type { RealServer, VirtualService } from '../../../daemon/kernel/types.js';
import { parseIpvsList } from '../../../daemon/kernel/ipvs/index.js';
import {
  applyDrain, connectionsById, drainedVips, needsConnections, withoutDraining, type Connections, type DrainInput,
} from '../../../daemon/plan/drain.js';
import { tool } from './helpers.js';

const web: VirtualService = { protocol: 'tcp', address: '10.10.0.1', port: 8410, scheduler: 'rr', realServers: [] };
const dns: VirtualService = { protocol: 'udp', address: '10.10.0.1', port: 53, scheduler: 'rr', realServers: [] };
const rs2 = (weight: number, port = 8080): RealServer => ({ address: '192.168.113.98', port, forwarding: 'nat', weight });
const KEY = '10.10.0.1:8410/tcp -> 192.168.113.98:8080';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const TIMEOUT = 30_000;

const del = (real: RealServer, service = web): Change => ({ kind: 'rs-del', service, real });
const counts = (active: number, inactive: number) => new Map<string, Connections>([[KEY, { active, inactive }]]);
const drainAt = (input: Partial<DrainInput> & Pick<DrainInput, 'changes'>) =>
  applyDrain({ connections: undefined, drainStarts: {}, now: T0, timeoutMs: TIMEOUT, ...input });

test('a real server with weight > 0 goes to weight 0 first (rs-edit), and its drain starts now', (t) => {
  const out = drainAt({ changes: [del(rs2(1))] });
  t.deepEqual(out.changes, [{ kind: 'rs-edit', service: web, real: rs2(0), from: rs2(1) }]);
  t.deepEqual(out.drainStarts, { [KEY]: T0 });
  t.deepEqual(out.draining, [{ key: KEY, since: '2026-01-01T00:00:00.000Z', deadline: '2026-01-01T00:00:30.000Z' }]);
});

test('at weight 0 with connections left: nothing until the timeout, the start time is kept', (t) => {
  const out = drainAt({ changes: [del(rs2(0))], connections: counts(2, 1), drainStarts: { [KEY]: T0 }, now: T0 + 10_000 });
  t.deepEqual(out.changes, []);
  t.deepEqual(out.drainStarts, { [KEY]: T0 });
  t.deepEqual(out.draining, [{ key: KEY, since: '2026-01-01T00:00:00.000Z', deadline: '2026-01-01T00:00:30.000Z', connections: { active: 2, inactive: 1 } }]);
  // inactive connections (TIME_WAIT, FIN_WAIT) count too
  t.deepEqual(drainAt({ changes: [del(rs2(0))], connections: counts(0, 1), drainStarts: { [KEY]: T0 } }).changes, []);
});

test('at weight 0 with no connection left: deleted (rs-del), no longer draining', (t) => {
  const out = drainAt({ changes: [del(rs2(0))], connections: counts(0, 0), drainStarts: { [KEY]: T0 }, now: T0 + 1000 });
  t.deepEqual(out.changes, [del(rs2(0))]);
  t.deepEqual(out.drainStarts, {});
  t.deepEqual(out.draining, []);
  t.deepEqual(drainAt({ changes: [del(rs2(0))], connections: new Map() }).changes, [del(rs2(0))], 'not listed by ipvsadm: no connections');
});

test('the timeout passed: deleted even with connections', (t) => {
  const out = drainAt({ changes: [del(rs2(0))], connections: counts(5, 0), drainStarts: { [KEY]: T0 }, now: T0 + TIMEOUT });
  t.deepEqual(out.changes, [del(rs2(0))]);
  t.deepEqual(out.drainStarts, {});
  t.deepEqual(drainAt({ changes: [del(rs2(0))], connections: counts(5, 0), drainStarts: { [KEY]: T0 }, now: T0 + TIMEOUT - 1 }).changes, []);
});

test('a real server found at weight 0 without a start time (daemon restarted) starts its drain now', (t) => {
  const out = drainAt({ changes: [del(rs2(0))], connections: counts(1, 0), now: T0 + 5000 });
  t.deepEqual(out.changes, []);
  t.deepEqual(out.drainStarts, { [KEY]: T0 + 5000 });
});

test('connections not read: held until the timeout', (t) => {
  t.deepEqual(drainAt({ changes: [del(rs2(0))], drainStarts: { [KEY]: T0 }, now: T0 + 1000 }).changes, []);
  t.deepEqual(drainAt({ changes: [del(rs2(0))], drainStarts: { [KEY]: T0 }, now: T0 + TIMEOUT }).changes, [del(rs2(0))]);
});

test('UDP real servers are deleted at once, whatever their weight', (t) => {
  const udp = del(rs2(1, 5353), dns);
  const out = drainAt({ changes: [udp] });
  t.deepEqual(out.changes, [udp]);
  t.deepEqual(out.drainStarts, {});
});

test('drain timeout 0: deleted at once', (t) => {
  t.deepEqual(drainAt({ changes: [del(rs2(1))], timeoutMs: 0 }).changes, [del(rs2(1))]);
});

test('a real server wanted again is no longer draining; other changes pass untouched, in order', (t) => {
  const back: Change = { kind: 'rs-edit', service: web, real: rs2(1), from: rs2(0) };
  const sysctl: Change = { kind: 'sysctl-set', sysctl: { key: 'net.ipv4.ip_forward', value: '1' }, from: '0' };
  const out = drainAt({ changes: [sysctl, back], drainStarts: { [KEY]: T0 } });
  t.deepEqual(out.changes, [sysctl, back]);
  t.deepEqual(out.drainStarts, {});
});

test('needsConnections / drainedVips: only for a TCP real server already at weight 0', (t) => {
  t.false(needsConnections([del(rs2(1))], TIMEOUT));
  t.false(needsConnections([del(rs2(0, 5353), dns)], TIMEOUT));
  t.false(needsConnections([del(rs2(0))], 0));
  t.true(needsConnections([del(rs2(1)), del(rs2(0, 9090))], TIMEOUT));
  t.deepEqual([...drainedVips([del(rs2(0)), del(rs2(0, 5353), { ...dns, address: '10.10.0.9' })], TIMEOUT)], ['10.10.0.1']);
});

test('connectionsById keys the captured ipvsadm -Ln counts like the drain does', (t) => {
  const byId = connectionsById(parseIpvsList(tool('ipvsadm-Ln-exact.txt')));
  t.deepEqual(byId.get(KEY), { active: 2, inactive: 2 });
  const out = drainAt({ changes: [del(rs2(0))], connections: byId, drainStarts: { [KEY]: T0 } });
  t.like(out.draining[0], { key: KEY, connections: { active: 2, inactive: 2 } });
});

test('withoutDraining drops only the rs-del of draining real servers', (t) => {
  const other = del(rs2(0, 9090));
  t.deepEqual(withoutDraining([del(rs2(0)), other], { [KEY]: T0 }), [other]);
});
