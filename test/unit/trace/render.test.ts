/** renderTrace: key lines of the reference NodePort trace, not the whole text. */
import test from 'ava';
import { buildTrace, renderTrace } from '../../../daemon/trace/index.js';
import { NODEPORT_FLOW_ACCT, NODEPORT_LISTING, listingDeltas, nodePortInput } from './reference.js';

const lines = renderTrace(buildTrace(nodePortInput())).split('\n');
const lineOf = (re: RegExp): string => lines.find((l) => re.test(l)) ?? '';
const column = (line: string): number => line.indexOf('-A ');

test('the headline names node, origin, destination, source port and answer', (t) => {
  t.is(lines[0], 'trace client (remote) → tcp 192.168.113.101:30080 from port 40000: ok, answer "rs2"');
});

test('rule lines: number, table, counts, the rule indented two spaces per depth, the explanation under it', (t) => {
  const first = lineOf(/^ {3}1\. /);
  t.regex(first, /^ {3}1\. nat {7}\+1 pkt\/\+60 B {2}-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES$/);
  const i = lines.indexOf(first);
  t.is(lines[i + 1], `${' '.repeat(column(first) + 2)}# kube-proxy's entry for service traffic`);
  t.is(column(lineOf(/^ {3}2\. /)) - column(first), 2);
  t.is(column(lineOf(/^ {3}3\. /)) - column(first), 4);
  t.is(column(lineOf(/^ {3}4\. /)) - column(first), 6);
  t.is(column(lineOf(/^ {2}17\. /)) - column(first), 2);
  t.regex(lineOf(/^ {2}17\. /), /^ {2}17\. filter {4}\+6 pkt\/\+508 B {1}  -A KUBE-FORWARD .*--ctstate RELATED,ESTABLISHED -j ACCEPT$/);
  t.true(lines.some((l) => /^ +# protocol tcp, matched set KUBE-NODE-PORT-TCP \(dst\) — which holds 30080 → /.test(l)));
  t.true(lines.some((l) => /^ +! count not attributable \(no conntrack accounting\)$/.test(l)));
});

test('the IPVS and conntrack steps, the rule count, the noise section', (t) => {
  t.regex(lineOf(/^ {3}9\. /), /^ {3}9\. ipvs {6}\+6 pkt\/\+405 B +IPVS tcp 192\.168\.113\.101:30080 \(rr\) → 192\.168\.113\.98:8080$/);
  t.regex(lineOf(/^ {2}18\. /), /^ {2}18\. conntrack +tcp TIME_WAIT 192\.168\.113\.102:40000 → 192\.168\.113\.101:30080, reply 192\.168\.113\.98:8080 → 192\.168\.113\.101:40000, mark=0$/);
  t.true(lines.includes('  (16 rule steps on the path)'));
  t.is(lines[lines.indexOf('noise:') + 1], '  - filter/mangle/raw counts could not be attributed: our conntrack entry has no packet counts (sysctl net.netfilter.nf_conntrack_acct=1 adds them)');
  t.false(lines.includes('moved for other reasons:'));
});

test('other moves are listed apart with their reason; nat noise is on its step; a clean trace has no noise section', (t) => {
  const deltas = listingDeltas(NODEPORT_LISTING);
  deltas.set('nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', [3, 180]);
  deltas.set('filter -A KUBE-SOURCE-RANGES-FIREWALL -j DROP', [2, 120]);
  const text = renderTrace(buildTrace(nodePortInput(deltas))).split('\n');
  const apart = text.indexOf('moved for other reasons:');
  t.true(apart > 0);
  t.regex(text[apart + 1] ?? '', /^ {6}filter {4}\+2 pkt\/\+120 B +-A KUBE-SOURCE-RANGES-FIREWALL -j DROP$/);
  t.regex(text[apart + 2] ?? '', /^ +! no rule that moved jumps to filter KUBE-SOURCE-RANGES-FIREWALL$/);
  t.regex(text[3] ?? '', /^ +! 2 other new connections also passed here/);
  const clean = renderTrace(buildTrace(nodePortInput(undefined, NODEPORT_FLOW_ACCT)));
  t.false(clean.includes('noise:'));
  t.regex(clean, /^ {2}18\. conntrack \+12 pkt\/\+913 B tcp TIME_WAIT/m);
});
