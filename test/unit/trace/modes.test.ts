/** trace's IPVS step on DR and TUN services: "MAC rewritten to …" / "encapsulated to …", from the director's own readings. */
import test from 'ava';
import { parseConntrackLine } from '../../../daemon/kernel/conntrack/index.js';
import { parseIpvsSave, parseIpvsStats } from '../../../daemon/kernel/ipvs/index.js';
import { ipvsStep } from '../../../daemon/trace/index.js';
import type { TraceInput } from '../../../daemon/trace/types.js';
import { fixture } from '../kernel/helpers.js';
import { ipvsStatsText } from './reference.js';

/** The captured DR director's stats (3 connections so far), then one more connection to .99: 6 packets in, none back. */
const before = (mode: 'dr' | 'tun') => parseIpvsStats(fixture(`ipvsadm-Ln-stats-${mode}-ds.txt`));
const after = parseIpvsStats(ipvsStatsText([
  ['TCP  10.10.0.1:8410', [9, 99, 0, 9999, 0]],
  ['  -> 192.168.113.98:8410', [2, 11, 0, 763, 0]],
  ['  -> 192.168.113.99:8410', [7, 88, 0, 9236, 0]],
]));
/** Our request's entry on the director: the request direction only, the reply tuple untouched. */
const flow = parseConntrackLine('tcp      6 119 SYN_SENT src=192.168.113.102 dst=10.10.0.1 sport=41000 dport=8410 [UNREPLIED] src=10.10.0.1 dst=192.168.113.102 sport=8410 dport=41000 mark=0 use=1');

const input = (mode: 'dr' | 'tun'): TraceInput => ({
  from: { node: 'client', origin: 'remote' },
  to: { address: '10.10.0.1', port: 8410, protocol: 'tcp' },
  before: [], after: [],
  ipvsBefore: before(mode),
  ipvsAfter: after,
  ipvsServices: parseIpvsSave(`-A -t 10.10.0.1:8410 -s rr\n-a -t 10.10.0.1:8410 -r 192.168.113.98:8410 -${mode === 'dr' ? 'g' : 'i'} -w 1\n-a -t 10.10.0.1:8410 -r 192.168.113.99:8410 -${mode === 'dr' ? 'g' : 'i'} -w 1\n`),
  neighbours: { '192.168.113.99': '52:54:00:aa:bb:99' },
  sets: [],
  ...(flow === undefined ? {} : { flow }),
  request: { ok: true, answer: 'rs1', sourcePort: 41000 },
});

test('DR: IPVS → the real server whose count moved, its MAC from the neighbour table; no DNAT said, no reply through the director', (t) => {
  const step = ipvsStep(input('dr'), { kind: 'ipvs', hook: 'LOCAL_IN' });
  t.regex(step.explanation, /^IPVS tcp 10\.10\.0\.1:8410 \(rr\) → 192\.168\.113\.99:8410: MAC rewritten to 52:54:00:aa:bb:99, the packet still to 10\.10\.0\.1$/);
  t.regex(step.notes?.[0] ?? '', /unchanged, in a frame to the real server's MAC \(DR\); the reply goes from the real server to the client/);
  t.false((step.notes ?? []).some((n) => /DNAT/.test(n)));
});

test('TUN: IPVS → the real server, encapsulated to its address', (t) => {
  const step = ipvsStep(input('tun'), { kind: 'ipvs', hook: 'LOCAL_IN' });
  t.regex(step.explanation, /→ 192\.168\.113\.99:8410: encapsulated to 192\.168\.113\.99, the packet inside still to 10\.10\.0\.1$/);
  t.regex(step.notes?.[0] ?? '', /inside an outer IP header to the real server \(TUN, IP-in-IP\)/);
});
