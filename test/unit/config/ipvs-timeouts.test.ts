/** ipvsTimeouts in the lab file: what loads (whole seconds, only the keys written), and every refusal, one problem each. */
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import { problemsOf, seedWith } from './helpers.js';

const withTimeouts = (text: string): string => seedWith('lab: seed', `lab: seed\nipvsTimeouts: ${text}`);

test('ipvsTimeouts: durations in whole seconds; only the keys written; absent unless written', (t) => {
  const full = parseLab(withTimeouts('{ tcp: 15m, tcpFin: 120s, udp: 300s }'), 't.yaml');
  t.true(full.ok);
  if (full.ok) t.deepEqual(full.lab.ipvsTimeouts, { tcp: 900, tcpFin: 120, udp: 300 });
  const udp = parseLab(withTimeouts('{ udp: 1000ms }'), 't.yaml');
  if (udp.ok) t.deepEqual(udp.lab.ipvsTimeouts, { udp: 1 });
  else t.fail(JSON.stringify(udp.problems));
  const max = parseLab(withTimeouts('{ tcp: 2147483s }'), 't.yaml');
  if (max.ok) t.deepEqual(max.lab.ipvsTimeouts, { tcp: 2147483 });
  else t.fail(JSON.stringify(max.problems));
  const seed = parseLab(seedWith('lab: seed', 'lab: seed'), 't.yaml');
  t.true(seed.ok && !('ipvsTimeouts' in seed.lab));
});

const SECONDS =
  'must be a whole number of seconds written as a duration like "900s", "15m" or "2h", from 1s to 2147483s ' +
  "(the kernel refuses more than INT_MAX jiffies; leave the key out to keep the node's own)";

const cases: [string, string, string, string, string][] = [
  ['a fraction of a second', '{ tcp: 1500ms }', 'ipvsTimeouts.tcp', '"1500ms"', SECONDS],
  ['0s (ipvsadm would leave it unchanged)', '{ tcpFin: 0s }', 'ipvsTimeouts.tcpFin', '"0s"', SECONDS],
  ['more than the kernel takes at HZ=1000', '{ udp: 2147484s }', 'ipvsTimeouts.udp', '"2147484s"', SECONDS],
  ['a bare number', '{ tcp: 900 }', 'ipvsTimeouts.tcp', '900', 'must be a string: a duration like "900s"'],
  ['a typo in a key', '{ tcpfin: 30s }', 'ipvsTimeouts.tcpfin', '"30s"', 'unknown key (did you mean "tcpFin"?); expected one of: tcp, tcpFin, udp'],
  ['an empty mapping', '{}', 'ipvsTimeouts', '{}', "must set at least one of tcp, tcpFin, udp (leave ipvsTimeouts out to keep the node's own)"],
  ['not a mapping', '900s', 'ipvsTimeouts', '"900s"', 'must be a mapping'],
];

for (const [title, text, path, value, reason] of cases) {
  test(`ipvsTimeouts refuses ${title}: one problem naming the path and value`, (t) => {
    const problems = problemsOf(t, withTimeouts(text));
    t.deepEqual(problems, [{ path, value, reason }]);
  });
}
