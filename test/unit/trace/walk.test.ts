import test from 'ava';
import { hookOrder, walkMoved, type MovedRule, type WalkItem } from '../../../daemon/trace/index.js';

const moved = (table: MovedRule['table'], chain: string, index: number, target: string, packets = 1): MovedRule =>
  ({ table, chain, index, rule: `-j ${target}`, target, packets, bytes: packets * 60 });
const shown = (items: readonly WalkItem[]): string[] =>
  items.map((i) => (i.kind === 'ipvs' ? `ipvs@${i.hook}` : `${'  '.repeat(i.depth)}${i.rule.table} ${i.rule.chain}#${i.rule.index} → ${i.rule.target ?? ''}`));

test('hook order: remote meets IPVS at LOCAL_IN after filter INPUT; local at LOCAL_OUT after nat OUTPUT', (t) => {
  const names = (origin: 'local' | 'remote') => hookOrder(origin).map((e) => (e.kind === 'ipvs' ? `ipvs@${e.hook}` : `${e.table}/${e.chain}`));
  t.deepEqual(names('remote'), [
    'raw/PREROUTING', 'mangle/PREROUTING', 'nat/PREROUTING', 'mangle/INPUT', 'filter/INPUT', 'ipvs@LOCAL_IN',
    'raw/OUTPUT', 'mangle/OUTPUT', 'filter/OUTPUT', 'mangle/POSTROUTING', 'nat/POSTROUTING', 'mangle/FORWARD', 'filter/FORWARD',
  ]);
  t.deepEqual(names('local'), [
    'raw/OUTPUT', 'mangle/OUTPUT', 'nat/OUTPUT', 'ipvs@LOCAL_OUT', 'filter/OUTPUT', 'mangle/POSTROUTING', 'nat/POSTROUTING',
    'raw/PREROUTING', 'mangle/PREROUTING', 'mangle/INPUT', 'filter/INPUT',
  ]);
  t.deepEqual(hookOrder('local').flatMap((e) => (e.kind === 'chain' && e.visits > 1 ? [`${e.table}/${e.chain}`] : [])), ['raw/OUTPUT', 'mangle/OUTPUT']);
});

test('depth-first, in rule order; a user chain reached from two moved jumps is shown under each', (t) => {
  const walk = walkMoved([
    moved('filter', 'FW', 1, 'DROP'), moved('filter', 'FW', 0, 'RETURN'),
    moved('filter', 'OUTPUT', 0, 'FW'), moved('filter', 'INPUT', 3, 'ACCEPT'), moved('filter', 'INPUT', 1, 'FW'),
  ], hookOrder('remote'));
  t.deepEqual(shown(walk.items), [
    'filter INPUT#1 → FW', '  filter FW#0 → RETURN', '  filter FW#1 → DROP', 'filter INPUT#3 → ACCEPT',
    'ipvs@LOCAL_IN',
    'filter OUTPUT#0 → FW', '  filter FW#0 → RETURN', '  filter FW#1 → DROP',
  ]);
  t.deepEqual(walk.unreached, []);
});

test('a chain of one table is not entered from a jump in another table with the same name', (t) => {
  const walk = walkMoved([moved('filter', 'INPUT', 0, 'KUBE-NODE-PORT'), moved('nat', 'KUBE-NODE-PORT', 0, 'KUBE-MARK-MASQ')], hookOrder('remote'));
  t.deepEqual(shown(walk.items), ['filter INPUT#0 → KUBE-NODE-PORT', 'ipvs@LOCAL_IN']);
  t.deepEqual(walk.unreached.map((u) => u.reason), ['no rule that moved jumps to nat KUBE-NODE-PORT']);
});

test('a loop between user chains is walked once and said', (t) => {
  const walk = walkMoved([moved('filter', 'INPUT', 0, 'A'), moved('filter', 'A', 0, 'B'), moved('filter', 'B', 0, 'A'), moved('filter', 'B', 1, 'B')], hookOrder('remote'));
  t.deepEqual(shown(walk.items), ['filter INPUT#0 → A', '  filter A#0 → B', '    filter B#0 → A', '    filter B#1 → B', 'ipvs@LOCAL_IN']);
  const notes = walk.items.flatMap((i) => (i.kind === 'rule' ? i.notes : []));
  t.deepEqual(notes, ['jumps back into A, which is already being walked: not followed', 'jumps back into B, which is already being walked: not followed']);
});

test('unreached: off-path built-in chains, chains nothing jumped to, chains reached only from off the path', (t) => {
  const walk = walkMoved([
    moved('nat', 'OUTPUT', 0, 'LAB'), moved('nat', 'LAB', 0, 'RETURN'), moved('raw', 'ORPHAN', 0, 'ACCEPT'), moved('filter', 'FORWARD', 0, 'ACCEPT'),
  ], hookOrder('local'));
  t.deepEqual(shown(walk.items), ['nat OUTPUT#0 → LAB', '  nat LAB#0 → RETURN', 'ipvs@LOCAL_OUT']);
  t.deepEqual(walk.unreached.map((u) => `${u.rule.table} ${u.rule.chain}: ${u.reason}`), [
    'raw ORPHAN: no rule that moved jumps to raw ORPHAN',
    "filter FORWARD: filter FORWARD is not on this request's path",
  ]);
  const remote = walkMoved([moved('nat', 'OUTPUT', 0, 'LAB'), moved('nat', 'LAB', 0, 'RETURN')], hookOrder('remote'));
  t.deepEqual(remote.unreached.map((u) => u.reason), ["nat OUTPUT is not on this request's path", "nat LAB was reached only from OUTPUT, not on this request's path"]);
});

test('a rule our packet cannot match is not walked, nor what only it reached; each says why', (t) => {
  const walk = walkMoved([
    moved('nat', 'PREROUTING', 0, 'SVC'), moved('nat', 'SVC', 0, 'NODE'), moved('nat', 'SVC', 1, 'MASQ'),
    moved('nat', 'NODE', 0, 'MASQ'), moved('nat', 'MASQ', 0, 'MARK'),
  ], hookOrder('remote'), (rule, root) => (rule.chain === 'SVC' && rule.index === 0 && root.chain === 'PREROUTING' ? 'not ours' : undefined));
  t.deepEqual(shown(walk.items), ['nat PREROUTING#0 → SVC', '  nat SVC#1 → MASQ', '    nat MASQ#0 → MARK', 'ipvs@LOCAL_IN']);
  t.deepEqual(walk.unreached.map((u) => `${u.rule.chain}#${u.rule.index}: ${u.reason}`), [
    'SVC#0: not ours',
    'NODE#0: nat NODE was reached only from rules of SVC that our request does not match',
  ]);
});
