/** conntrack -L with net.netfilter.nf_conntrack_acct=1: per-direction packets and bytes on each tuple. */
import test from 'ava';
import { parseConntrackLine } from '../../../daemon/kernel/conntrack/index.js';
import { NODEPORT_FLOW, NODEPORT_FLOW_ACCT } from './reference.js';

test('packets= and bytes= are kept on their tuple; absent without accounting', (t) => {
  const flow = parseConntrackLine(NODEPORT_FLOW_ACCT);
  t.deepEqual(flow.original, { src: '192.168.113.102', dst: '192.168.113.101', sport: 40000, dport: 30080, packets: 6, bytes: 405 });
  t.deepEqual(flow.reply, { src: '192.168.113.98', dst: '192.168.113.101', sport: 8080, dport: 40000, packets: 6, bytes: 508 });
  t.like(flow, { state: 'TIME_WAIT', assured: true, mark: 0, use: 1 });
  const plain = parseConntrackLine(NODEPORT_FLOW);
  t.false('packets' in plain.original || 'bytes' in plain.reply);
  t.throws(() => parseConntrackLine('tcp 6 1 CLOSE src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 packets=x src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1'), { message: /bad packets=x/ });
});
