/** The modes compared from three verify reports read off the captured tables of each lab (seed's NAT, DR, TUN). */
import test from 'ava';
import { parseConntrack } from '../../../daemon/kernel/conntrack/index.js';
import { compareReport, renderCompare, type CompareEntry } from '../../../daemon/verify/compare.js';
import { explainFlows } from '../../../daemon/verify/flows.js';
import type { Probe, VerifyReport } from '../../../daemon/verify/types.js';
import { fixture, lab, web } from './helpers.js';
import { validateDocument } from '../../shared/schemas.js';

function entry(forwarding: 'nat' | 'dr' | 'tun', peer: string, traffic: { inPkts: number; outPkts: number }): CompareEntry {
  const tag = forwarding === 'nat' ? '' : `-${forwarding}`;
  const client = parseConntrack(fixture(`conntrack-L${tag}-client.txt`)).filter((f) => f.protocol === 'tcp');
  const ds = parseConntrack(fixture(`conntrack-L${tag}-ds.txt`));
  const vs = forwarding === 'nat' ? web : { ...web, forwarding, snat: false, port: 8410 };
  const probes: Probe[] = client.map((f, i) => ({ seq: i + 1, ok: true, localPort: f.original.sport!, realServer: i % 2 ? 'rs1' : 'rs2', peer }));
  const report: VerifyReport = {
    lab: forwarding === 'nat' ? 'seed' : forwarding, client: 'client', director: 'ds', ok: true, causes: [], notes: [], durationMs: 1,
    virtualServers: [{
      name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr', requests: 4, succeeded: 4, distribution: { rs1: 2, rs2: 2 },
      distributionOk: true, distributionRule: 'rr', probes, ...explainFlows(probes, client, ds, lab, vs), causes: [], notes: [], ok: true,
      traffic: { ...traffic, realServers: {}, text: '' },
    }],
  };
  return { forwarding, lab: report.lab, directorIp: '192.168.113.101', clientIp: '192.168.113.102', report };
}

test('compare: who rewrites what, what the real server saw, the packets through the director and the tuples, one value per mode', (t) => {
  const report = compareReport([
    entry('nat', '192.168.113.101', { inPkts: 22, outPkts: 19 }),
    entry('dr', '192.168.113.102', { inPkts: 17, outPkts: 0 }),
    entry('tun', '192.168.113.102', { inPkts: 22, outPkts: 0 }),
  ], 4);
  t.true(report.ok);
  const row = (title: string) => report.rows.find((r) => r.title === title)?.values;
  t.deepEqual(row('the director rewrites'), [
    'destination 10.10.0.1:8410 → 192.168.113.98:8080 (DNAT), source 192.168.113.102 → 192.168.113.101 (SNAT)',
    'the frame\'s destination MAC only (to the real server\'s); the packet still says client → VIP',
    'nothing inside: the packet (client → VIP) travels in an outer IP header 192.168.113.101 → real server',
  ]);
  t.deepEqual(row('the real server saw the client as'), [
    '192.168.113.101 (the director) in 4/4', '192.168.113.102 (the client itself) in 4/4', '192.168.113.102 (the client itself) in 4/4',
  ]);
  t.deepEqual(row('packets through the director (IPVS)'), [
    '22 in (client → real servers), 19 out (back)', '17 in (client → real servers), 0 out (back)', '22 in (client → real servers), 0 out (back)',
  ]);
  const director = row('conntrack on the director')!;
  t.regex(director[0]!, /^192\.168\.113\.102:55122 → 10\.10\.0\.1:8410, reply 192\.168\.113\.98:8080 → 192\.168\.113\.101:55122 TIME_WAIT$/);
  t.regex(director[1]!, /^192\.168\.113\.102:\d+ → 10\.10\.0\.1:8410, reply 10\.10\.0\.1:8410 → 192\.168\.113\.102:\d+ \[UNREPLIED\] SYN_SENT$/);
  t.regex(row('conntrack on the client')![2]!, /^192\.168\.113\.102:\d+ → 10\.10\.0\.1:8410, reply 10\.10\.0\.1:8410 → 192\.168\.113\.102:\d+ TIME_WAIT$/);
  t.deepEqual(validateDocument('compare', { ...report, verify: [] }), [], 'docs/schemas/compare.schema.json');
  const text = renderCompare(report);
  t.regex(text, /^lvslab compare: 4 request\(s\) through each of nat \(seed\), dr \(dr\), tun \(tun\)\n/);
  t.regex(text, /\nthe director rewrites\n  nat \(seed\)  destination 10\.10\.0\.1:8410 → /);
  t.regex(text, /\ncompare: every lab verified$/);
});

test('compare: a lab that did not verify fails the comparison and says which', (t) => {
  const bad = entry('dr', '192.168.113.102', { inPkts: 0, outPkts: 0 });
  const report = compareReport([{ ...bad, report: { ...bad.report, ok: false } }], 4);
  t.false(report.ok);
  t.regex(renderCompare(report), /✗ the dr lab dr did not verify: run `lvslab verify` on it for the causes\ncompare: FAIL$/);
});
