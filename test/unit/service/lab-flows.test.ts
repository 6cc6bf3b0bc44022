/** GET /v1/conntrack's content: the lab's flows only, filtered by conntrack itself, at most FLOW_LIMIT. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLab } from '../../../daemon/config/load.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { conntrackAdapter, parseConntrack } from '../../../daemon/kernel/conntrack/index.js';
import { ADDRESS_QUERY_LIMIT, FLOW_LIMIT, flowQueries, labEndpoints, labFlows } from '../../../daemon/service/lab-flows.js';
import { fakeRunner } from '../kernel/helpers.js';

const labOf = (name: string): LabConfig => {
  const r = parseLab(readFileSync(`labs/${name}.yaml`, 'utf8'), `${name}.yaml`);
  if (!r.ok) throw new Error(`labs/${name}.yaml does not load`);
  return r.lab;
};

const line = (proto: 'tcp' | 'udp', src: string, dst: string, sport: number, dport: number, replySrc = dst) =>
  `${proto}      ${proto === 'tcp' ? 6 : 17} 431999 ${proto === 'tcp' ? 'ESTABLISHED ' : ''}src=${src} dst=${dst} sport=${sport} dport=${dport} src=${replySrc} dst=${src} sport=${dport} dport=${sport} [ASSURED] mark=0 use=1`;

/** A runner whose `conntrack -L` filters `lines` by -p and -d as conntrack does. */
function conntrackOf(lines: readonly string[]) {
  return fakeRunner((argv) => {
    if (argv[0] !== 'conntrack' || argv[1] !== '-L') throw new Error(`unexpected ${argv.join(' ')}`);
    const value = (flag: string) => { const i = argv.indexOf(flag); return i < 0 ? undefined : argv[i + 1]; };
    const [p, d] = [value('-p'), value('-d')];
    return { stdout: lines.filter((l) => (p === undefined || l.startsWith(`${p} `)) && (d === undefined || l.includes(` dst=${d} sport=`))).join('\n') };
  });
}

test('seed lab: the endpoints are the VIP services on every node, plus its backends on a real server', (t) => {
  const seed = labOf('seed');
  const vips = labEndpoints(seed, 'ds');
  t.true(vips.length > 0);
  t.true(vips.some((e) => e.address === '10.10.0.1' && e.port === 8410 && e.protocol === 'tcp'));
  t.deepEqual(labEndpoints(seed, 'client'), vips);
  const rs1 = labEndpoints(seed, 'rs1');
  t.deepEqual(rs1.slice(0, vips.length), vips);
  t.true(rs1.slice(vips.length).some((e) => e.address === '192.168.113.99' && e.port === 8080));
});

test('kube lab: cluster IPs and the node port on the director\'s address are endpoints; one query per address', (t) => {
  const endpoints = labEndpoints(labOf('kube'), 'ds');
  t.true(endpoints.some((e) => e.address === '10.108.113.237' && e.port === 80 && e.protocol === 'tcp'));
  t.true(endpoints.some((e) => e.address === '192.168.113.101' && e.port === 30080 && e.protocol === 'tcp'));
  const queries = flowQueries(endpoints);
  t.is(queries.length, new Set(endpoints.map((e) => e.address)).size);
  t.true(queries.every((q) => q.dst !== undefined && q.dport === undefined));
});

test('100k foreign flows and 1500 of the lab: conntrack is asked with -d VIP, the reply holds 1000 lab flows and says 500 omitted', async (t) => {
  const seed = labOf('seed');
  const foreign = Array.from({ length: 100_000 }, (_, i) =>
    i % 2 === 0
      ? line('tcp', `172.16.${(i >> 8) & 255}.${i & 255}`, '192.168.113.101', 20_000 + (i % 40_000), 22) // SSH to the director
      : line('udp', '192.168.113.101', '9.9.9.9', 30_000 + (i % 30_000), 53)); // its DNS lookups
  const lab = Array.from({ length: 1500 }, (_, i) => line('tcp', '192.168.113.102', '10.10.0.1', 40_000 + i, 8410, '192.168.113.99'));
  // same VIP, another port: not the lab's service
  const otherPort = Array.from({ length: 10 }, (_, i) => line('tcp', '192.168.113.102', '10.10.0.1', 50_000 + i, 443));
  const all = [...foreign, ...lab.slice(0, 700), ...otherPort, ...lab.slice(700)];
  const { runner, calls } = conntrackOf(all);
  const reply = await labFlows(conntrackAdapter(runner), labEndpoints(seed, 'ds'));
  t.true(calls.every((c) => c.argv.includes('-d')), calls.map((c) => c.argv.join(' ')).join('; '));
  t.is(reply.limit, FLOW_LIMIT);
  t.is(reply.total, 1500);
  t.is(reply.omitted, 500);
  t.is(reply.flows.length, 1000);
  t.true(reply.flows.every((f) => f.original.dst === '10.10.0.1' && f.original.dport === 8410));
  const before = JSON.stringify(parseConntrack(all.join('\n')), null, 2).length;
  const after = JSON.stringify(reply, null, 2).length;
  t.log(`reply: ${(before / 1e6).toFixed(1)} MB for every flow of the node (before), ${(after / 1e6).toFixed(2)} MB now`);
  t.true(after < before / 50);
});

test('a real server: flows to its backend port are the lab\'s, its SSH flows (same address) are not', async (t) => {
  const { runner } = conntrackOf([
    line('tcp', '192.168.113.101', '192.168.113.99', 41000, 8080),
    line('tcp', '10.0.0.5', '192.168.113.99', 51000, 22),
  ]);
  const reply = await labFlows(conntrackAdapter(runner), labEndpoints(labOf('seed'), 'rs1'));
  t.deepEqual(reply.flows.map((f) => f.original.dport), [8080]);
  t.like(reply, { total: 1, omitted: 0 });
});

test('a lab of 1000 VIPs is read with one conntrack -L, not one per VIP, and keeps only its own flows', async (t) => {
  const seed = labOf('seed');
  const web = seed.virtualServers[0]!;
  const vips = Array.from({ length: 1000 }, (_, i) => `10.20.${i >> 8}.${i & 255}`);
  const big: LabConfig = { ...seed, virtualServers: vips.map((vip, i) => ({ ...web, name: `web-${i}`, vip })) };
  const endpoints = labEndpoints(big, 'ds');
  t.deepEqual(flowQueries(endpoints), [{ protocol: 'tcp' }]);
  const { runner, calls } = conntrackOf([
    line('tcp', '192.168.113.102', '10.20.3.231', 40_000, 8410, '192.168.113.99'), // web-999
    line('tcp', '192.168.113.102', '10.20.3.231', 40_001, 443), // that VIP, another port
    line('tcp', '172.16.0.9', '192.168.113.101', 50_000, 22), // SSH to the director
  ]);
  const reply = await labFlows(conntrackAdapter(runner), endpoints);
  t.deepEqual(calls.map((c) => c.argv.join(' ')), ['conntrack -L -p tcp']);
  t.deepEqual(reply.flows.map((f) => `${f.original.dst}:${f.original.dport}`), ['10.20.3.231:8410']);
  t.like(reply, { total: 1, omitted: 0 });
});

test('flowQueries: up to ADDRESS_QUERY_LIMIT addresses one query each; past it one query, with -p only for a single protocol', (t) => {
  const at = (n: number, protocol: 'tcp' | 'udp' = 'tcp') => Array.from({ length: n }, (_, i) => ({ protocol, address: `10.0.0.${i + 1}`, port: 80 }));
  t.is(flowQueries(at(ADDRESS_QUERY_LIMIT)).length, ADDRESS_QUERY_LIMIT);
  t.deepEqual(flowQueries(at(ADDRESS_QUERY_LIMIT + 1)), [{ protocol: 'tcp' }]);
  t.deepEqual(flowQueries([...at(ADDRESS_QUERY_LIMIT), ...at(1, 'udp').map((e) => ({ ...e, address: '10.9.9.9' }))]), [{}]);
});
