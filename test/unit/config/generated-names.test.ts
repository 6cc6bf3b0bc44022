/**
 * Names lvslab generates never collide with a name the lab gives: every set and chain name the plan
 * makes (kube-proxy's sets and chains, lvslab's own chains, on every node of every shipped lab) is
 * refused as a blocklist name, and no temporary set name is one a blocklist could produce.
 */
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { diff } from '../../../daemon/plan/diff.js';
import { ipsetAdapter, tempSetName } from '../../../daemon/kernel/ipset/index.js';
import { fakeRunner } from '../kernel/helpers.js';
import { labFrom } from '../plan/helpers.js';
import { hasProblem, problemsOf } from './helpers.js';

const kubeWith = (edit: string) => (text: string): string => text.replace('kubeletRules: legacy', edit);
/** Every shipped lab, kube mode with each kubelet rule set, and kube mode with the longest prefix kube mode allows. */
const LABS: readonly LabConfig[] = [
  labFrom('labs/seed.yaml'),
  labFrom('labs/wrr.yaml'),
  labFrom('labs/vbox.yaml'),
  labFrom('test/fixtures/labs/svc.yaml'),
  labFrom('test/fixtures/config/full.yaml'),
  labFrom('labs/kube.yaml'),
  labFrom('labs/kube.yaml', kubeWith('kubeletRules: current')),
  labFrom('labs/kube.yaml', kubeWith('kubeletRules: none')),
  labFrom('labs/kube.yaml', (text) => text.replace('prefix: KUBE-', 'prefix: ABCDE-')),
];

interface Generated { readonly lab: LabConfig; readonly sets: readonly string[]; readonly chains: readonly string[] }

/** The sets (blocklists' own excepted) and chains the plan makes on every node of `lab`. */
function generated(lab: LabConfig): Generated {
  const blocklistSets = new Set(lab.blocklists.map((b) => `${lab.prefix}${b.name}`));
  const states = lab.nodes.map((n) => planNode(lab, n.name, { kernelRelease: '5.4.0' }).desired);
  return {
    lab,
    sets: [...new Set(states.flatMap((s) => s.ipsets.map((set) => set.name)))].filter((name) => !blocklistSets.has(name)),
    chains: [...new Set(states.flatMap((s) => s.chains.map((c) => c.name)))],
  };
}

const ALL = LABS.map(generated);
const bare = (g: Generated, name: string): string => name.slice(g.lab.prefix.length);

test('the enumeration is complete: 17 kube-proxy sets, 1 lvslab set, 12 kube chains, 5 lvslab chains, each starting with the prefix', (t) => {
  const sets = new Set(ALL.flatMap((g) => g.sets.map((n) => bare(g, n))));
  const chains = new Set(ALL.flatMap((g) => g.chains.map((n) => bare(g, n))));
  t.is(sets.size, 18, [...sets].join(' '));
  t.true(sets.has('SNAT'));
  t.true(['SERVICES', 'MARK-MASQ', 'POSTROUTING', 'INPUT', 'CONNTRACK', 'MARK-DROP', 'SOURCE-RANGES-FIREWALL'].every((c) => chains.has(c)));
  t.is(chains.size, 14, [...chains].join(' ')); // SERVICES, MARK-MASQ, POSTROUTING are both kube's and lvslab's
  for (const g of ALL) for (const name of [...g.sets, ...g.chains]) t.true(name.startsWith(g.lab.prefix), name);
});

/** The lab's text with one more blocklist named `name`, for the lab's file. */
const LAB_TEXT: ReadonlyMap<string, string> = new Map([
  ['LVSLAB-', 'lab: seed\nnodes:\n  ds: { role: director, address: 10.0.0.1/8 }\nblocklists:\n  - { name: ok, entries: [] }\n'],
  ['KUBE-', 'lab: kube\nprefix: KUBE-\ninterface: kube-ipvs0\nkubeletRules: legacy\nnodes:\n  ds: { role: director, address: 10.0.0.1/8 }\n' +
    '  rs1: { role: real-server, address: 10.0.0.2/8 }\nservices:\n  - { name: s, clusterIP: 10.96.0.1, port: 80, endpoints: [{ node: rs1 }] }\n' +
    'blocklists:\n  - { name: ok, entries: [] }\n'],
]);

for (const prefix of LAB_TEXT.keys()) {
  test(`with prefix ${prefix}, a blocklist named after any generated set or chain (any case) is refused at its name`, (t) => {
    const text = LAB_TEXT.get(prefix) ?? '';
    t.true(parseLab(text, 'base.yaml').ok, 'the base lab loads');
    const names = new Set(ALL.flatMap((g) => [...g.sets, ...g.chains].map((n) => bare(g, n))));
    for (const name of names) {
      for (const written of [name, name.toLowerCase()]) {
        const problems = problemsOf(t, `${text}  - { name: ${written}, entries: [] }\n`);
        hasProblem(t, problems, 'blocklists[1].name', `${name} is a set or chain name lvslab generates`);
      }
    }
  });
}

test('every temporary set name fits ipset, starts with the prefix, is unique, and is no generated name', (t) => {
  for (const g of ALL) {
    const sets = [...g.sets, ...g.lab.blocklists.map((b) => `${g.lab.prefix}${b.name}`), `${g.lab.prefix}${'b'.repeat(28 - g.lab.prefix.length)}`];
    const taken = new Set([...g.sets, ...g.chains]);
    const temps = sets.map(tempSetName);
    t.is(new Set(temps).size, temps.length, `temporary names repeat in lab ${g.lab.lab}: ${temps.join(' ')}`);
    for (const temp of temps) {
      t.true(temp.length <= 31 && temp.startsWith(g.lab.prefix), temp);
      t.false(taken.has(temp) || sets.includes(temp), temp);
    }
  }
});

test('no temporary set name can be a blocklist\'s set: a blocklist named like one is refused by the name pattern', (t) => {
  const text = LAB_TEXT.get('LVSLAB-') ?? '';
  for (const g of ALL) {
    for (const set of [...g.sets, ...g.lab.blocklists.map((b) => `${g.lab.prefix}${b.name}`)]) {
      const name = bare(g, tempSetName(set));
      hasProblem(t, problemsOf(t, `${text}  - { name: "${name}", entries: [] }\n`), 'blocklists[1].name', 'must match');
    }
  }
});

test('a temporary set a crash left behind is observed as owned and destroyed by the next run', async (t) => {
  const lab = LABS[0] as LabConfig;
  const { desired } = planNode(lab, 'ds');
  const blocklist = desired.ipsets.find((s) => s.name === `${lab.prefix}${lab.blocklists[0]?.name}`);
  if (blocklist === undefined) return t.fail('the seed plans a blocklist set');
  const temp = tempSetName(blocklist.name);
  const save = `create ${blocklist.name} hash:ip family inet hashsize 1024 maxelem 65536\nadd ${blocklist.name} 192.168.113.100\n` +
    `create ${temp} hash:ip family inet hashsize 1024 maxelem 65536\nadd ${temp} 192.168.113.100\n`;
  const { runner } = fakeRunner(() => ({ stdout: save }));
  const ipsets = await ipsetAdapter(runner).observe(lab.prefix);
  t.deepEqual(ipsets.map((s) => s.name), [blocklist.name, temp]);
  const changes = diff({ ...desired, ipsets: [blocklist] }, { ...desired, ipsets, sysctls: new Map(desired.sysctls.map((s) => [s.key, s.value])) });
  t.deepEqual(changes.map((c) => (c.kind === 'ipset-destroy' ? `${c.kind} ${c.set.name}` : c.kind)), [`ipset-destroy ${temp}`]);
});
