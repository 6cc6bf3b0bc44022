/** `ipvsadm -Ln --exact` (captured with live connections in the micro-VM) → connection counts. */
import test from 'ava';
import { ipvsAdapter, parseIpvsList } from '../../../daemon/kernel/ipvs/index.js';
import { fakeRunner, fixture } from './helpers.js';

const tcp = (port: number) => ({ protocol: 'tcp', address: '10.10.0.1', port }) as const;
const udp = (port: number) => ({ protocol: 'udp', address: '10.10.0.1', port }) as const;
const at = (address: string, port: number) => ({ address, port });

test('parseIpvsList: every real server of the captured director with its weight, ActiveConn and InActConn', (t) => {
  t.deepEqual(parseIpvsList(fixture('ipvsadm-Ln-exact.txt')), [
    { service: tcp(8410), real: at('192.168.113.98', 8080), weight: 0, active: 2, inactive: 2 },
    { service: tcp(8410), real: at('192.168.113.99', 8080), weight: 1, active: 1, inactive: 2 },
    { service: tcp(8411), real: at('192.168.113.99', 8080), weight: 3, active: 0, inactive: 0 },
    { service: udp(53), real: at('192.168.113.98', 5353), weight: 1, active: 0, inactive: 2 },
    { service: udp(53), real: at('192.168.113.99', 5353), weight: 1, active: 0, inactive: 1 },
  ]);
});

test('parseIpvsList: no services, foreign kinds skipped, odd lines refused', (t) => {
  t.deepEqual(parseIpvsList(fixture('ipvsadm-Ln-exact-empty.txt')), []);
  t.deepEqual(parseIpvsList('FWM  7 rr\n  -> 192.168.113.98:0            Route   1      3          0\n'), []);
  t.deepEqual(parseIpvsList('TCP  [fd00::1]:80 rr\n  -> [fd00::2]:8080               Masq    1      4          5\n'), [
    { service: { protocol: 'tcp', address: 'fd00::1', port: 80 }, real: at('fd00::2', 8080), weight: 1, active: 4, inactive: 5 },
  ]);
  t.throws(() => parseIpvsList('  -> 192.168.113.98:8080          Masq    1      0          0\n'), { message: /real server before its service/ });
  t.throws(() => parseIpvsList('TCP  10.10.0.1:80 rr\n  -> 192.168.113.98:8080 Masq 1 0\n'), { message: /unknown line.*Masq 1 0/ });
  t.throws(() => parseIpvsList('TCP  10.10.0.1 rr\n'), { message: /bad service address/ });
});

test('adapter.connections runs ipvsadm -Ln --exact once and keeps only the asked virtual addresses', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: fixture('ipvsadm-Ln-exact.txt') }));
  const ipvs = ipvsAdapter(runner);
  t.is((await ipvs.connections(new Set(['10.10.0.1']))).length, 5);
  t.deepEqual(await ipvs.connections(new Set(['10.10.0.2'])), []);
  t.deepEqual(calls.map((c) => c.argv), [['ipvsadm', '-Ln', '--exact'], ['ipvsadm', '-Ln', '--exact']]);
});

test('the counts match the connection entries captured at the same moment: ESTABLISHED is active, the rest inactive', (t) => {
  const entries = fixture('ipvsadm-Lnc-drain.txt').split('\n').slice(2).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
  for (const c of parseIpvsList(fixture('ipvsadm-Ln-exact.txt'))) {
    const mine = entries.filter(([pro, , , , virtual, destination]) =>
      pro === c.service.protocol.toUpperCase() && virtual === `${c.service.address}:${c.service.port}` && destination === `${c.real.address}:${c.real.port}`);
    const established = mine.filter((e) => e[2] === 'ESTABLISHED').length;
    t.deepEqual([c.active, c.inactive], [established, mine.length - established], `${c.service.port} → ${c.real.address}:${c.real.port}`);
  }
});
