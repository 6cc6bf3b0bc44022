/** `ipvsadm -L -n --stats --exact` (captured in the micro-VM) → counters per service and real server. */
import test from 'ava';
import { parseIpvsStats } from '../../../daemon/kernel/ipvs/index.js';
import { fixture } from '../kernel/helpers.js';

const zero = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const real = (address: string, port: number, counters = zero) => ({ address, port, counters });

test('parseIpvsStats: the captured director, every service and real server with its five counters', (t) => {
  t.deepEqual(parseIpvsStats(fixture('ipvsadm-Ln-stats-exact.txt')), [
    { protocol: 'tcp', address: '192.168.113.101', port: 9999, counters: zero, reals: [] },
    {
      protocol: 'tcp', address: '10.10.0.1', port: 8410,
      counters: { conns: 4, inPkts: 22, outPkts: 19, inBytes: 1488, outBytes: 1412 },
      reals: [
        real('192.168.113.98', 8080, { conns: 2, inPkts: 11, outPkts: 10, inBytes: 744, outBytes: 732 }),
        real('192.168.113.99', 8080, { conns: 2, inPkts: 11, outPkts: 9, inBytes: 744, outBytes: 680 }),
      ],
    },
    { protocol: 'tcp', address: '10.10.0.2', port: 80, counters: zero, reals: [real('192.168.113.98', 8080), real('192.168.113.99', 8080)] },
    { protocol: 'tcp', address: '10.10.0.2', port: 443, counters: zero, reals: [real('192.168.113.98', 443), real('192.168.113.99', 443)] },
    { protocol: 'udp', address: '10.10.0.2', port: 53, counters: zero, reals: [real('192.168.113.99', 5353)] },
  ]);
});

test('parseIpvsStats: the service counts are the sums of their real servers\' (captured)', (t) => {
  for (const s of parseIpvsStats(fixture('ipvsadm-Ln-stats-exact.txt')).filter((x) => x.reals.length > 0)) {
    const sum = (k: keyof typeof zero) => s.reals.reduce((n, r) => n + r.counters[k], 0);
    t.deepEqual(s.counters, { conns: sum('conns'), inPkts: sum('inPkts'), outPkts: sum('outPkts'), inBytes: sum('inBytes'), outBytes: sum('outBytes') });
  }
});

test('parseIpvsStats: IPv6, FWM skipped with its reals, rounded counts and odd lines refused', (t) => {
  t.deepEqual(parseIpvsStats('FWM  7                   1 2 3 4 5\n  -> 192.168.113.98:0       1 2 3 4 5\nTCP  [fd00::1]:80          1 2 3 4 5\n  -> [fd00::2]:8080        1 2 3 4 5\n'), [
    { protocol: 'tcp', address: 'fd00::1', port: 80, counters: { conns: 1, inPkts: 2, outPkts: 3, inBytes: 4, outBytes: 5 }, reals: [real('fd00::2', 8080, { conns: 1, inPkts: 2, outPkts: 3, inBytes: 4, outBytes: 5 })] },
  ]);
  t.throws(() => parseIpvsStats('TCP  10.10.0.1:80   4 22 19 1488K 1412\n'), { message: /count 1488K is not exact \(run with --exact\)/ });
  t.throws(() => parseIpvsStats('  -> 192.168.113.98:8080 1 2 3 4 5\n'), { message: /real server before its service/ });
  t.throws(() => parseIpvsStats('TCP  10.10.0.1:80 rr\n'), { message: /unknown line/ });
  t.throws(() => parseIpvsStats('TCP  10.10.0.1 1 2 3 4 5\n'), { message: /bad service address/ });
});
