/**
 * A lab file cannot reach the host's own things: the interface is a link lvslab creates, the prefix is
 * not another program's, the masquerade mark is not kubelet's drop mark, blocklist entries compare as
 * ipset holds them. Every refusal is one problem naming the path and the value.
 */
import { readFileSync, readdirSync } from 'node:fs';
import test from 'ava';
import { formatProblems, parseLab } from '../../../daemon/config/load.js';
import { hasProblem, problemsOf, repoPath, seedWith } from './helpers.js';

const KUBE = readFileSync(repoPath('labs/kube.yaml'), 'utf8');
const kubeWith = (from: string, to: string): string => {
  if (!KUBE.includes(from)) throw new Error(`kube.yaml does not contain ${JSON.stringify(from)}`);
  return KUBE.replace(from, to);
};
const withInterface = (name: string): string => seedWith('lab: seed', `lab: seed\ninterface: ${JSON.stringify(name)}`);
const only = (t: import('ava').ExecutionContext, text: string, path: string) => {
  const problems = problemsOf(t, text);
  t.deepEqual(problems.map((p) => p.path), [path], JSON.stringify(problems));
  return problems[0];
};

test('every shipped lab (labs/*.yaml, test/fixtures/labs/*.yaml) passes the check', (t) => {
  const files = ['labs', 'test/fixtures/labs'].flatMap((dir) =>
    readdirSync(repoPath(dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`));
  t.true(files.length >= 7, files.join(', '));
  for (const file of files) {
    const result = parseLab(readFileSync(repoPath(file), 'utf8'), file);
    t.true(result.ok, result.ok ? file : formatProblems(file, result.problems));
  }
});

// ip's keywords (link add/set/del, addr add dev …) and interfaces every host has.
const HOST_OR_KEYWORD = [
  'eth0', 'lo', 'ens3', 'wlan0', 'docker0', 'cni0', 'up', 'help', 'mtu', 'type', 'dev', 'name', 'all', 'down', 'link',
  'add', 'del', 'set', 'show', 'dummy', 'group', 'master', 'nomaster', 'address', 'netns', 'alias', 'vf', 'lvs', 'lvslab.0',
  'LVSLAB0', 'xlvslab0', 'lvslab0123456789',
];

for (const name of HOST_OR_KEYWORD) {
  test(`interface ${JSON.stringify(name)} is refused: one problem at interface naming the value and what is allowed`, (t) => {
    const problem = only(t, withInterface(name), 'interface');
    t.is(problem?.value, JSON.stringify(name));
    t.regex(problem?.reason ?? '', /^must be a dummy link lvslab creates: "lvslab" followed by up to 9 lowercase letters, digits or '-' \(like lvslab0\), or kube-ipvs0 in a lab with services;/);
  });
}

test('interface lvslab0, lvslab-web and lvslab012345678 (15 characters) are accepted', (t) => {
  for (const name of ['lvslab0', 'lvslab-web', 'lvslab012345678', 'lvslab']) {
    const result = parseLab(withInterface(name), 'seed.yaml');
    t.true(result.ok && result.lab.interface === name, name);
  }
});

test("interface kube-ipvs0 is kube-proxy's: accepted in a lab with services, refused without", (t) => {
  t.true(parseLab(KUBE, 'kube.yaml').ok);
  const problem = only(t, withInterface('kube-ipvs0'), 'interface');
  t.is(problem?.value, '"kube-ipvs0"');
  t.regex(problem?.reason ?? '', /kube-ipvs0 is kube-proxy's link; lvslab takes it only in kube mode \(a lab with services\)/);
});

/** [prefix, owner named in the reason] */
const FOREIGN: readonly (readonly [string, string])[] = [
  ['KUBE-', 'kube-proxy'], ['KUBE-SVC-', 'kube-proxy'], ['DOCKER-', 'Docker'], ['DOCKER-ISO-', 'Docker'], ['CILIUM-', 'Cilium'],
  ['CALI-', 'Calico'], ['F2B-', 'fail2ban'], ['FLANNEL-', 'flannel'], ['WEAVE-', 'Weave Net'], ['LIBVIRT-', 'libvirt'],
  ['UFW-', 'ufw'], ['NOVA-', 'OpenStack nova'], ['TS-', 'Tailscale'], ['CNI-', 'CNI plugins'], ['NETAVARK-', 'netavark'],
];

for (const [prefix, owner] of FOREIGN) {
  test(`prefix ${prefix} is refused in an LVS lab, naming ${owner} as its owner`, (t) => {
    const problem = only(t, seedWith('lab: seed', `lab: seed\nprefix: ${prefix}`), 'prefix');
    t.is(problem?.value, JSON.stringify(prefix));
    t.true(problem?.reason.includes(owner), problem?.reason);
    t.regex(problem?.reason ?? '', /lvslab owns \(and deletes\) every set and chain whose name starts with its prefix/);
  });
}

test('prefix KUBE- is accepted in kube mode (a lab with services); CALI- is refused there too', (t) => {
  t.true(parseLab(KUBE, 'kube.yaml').ok);
  hasProblem(t, problemsOf(t, kubeWith('prefix: KUBE-', 'prefix: CALI-')), 'prefix', 'prefix CALI- belongs to Calico');
});

test('prefixes that only look alike are accepted (LVSLAB-, LAB2-, KUBEX-, TSX-)', (t) => {
  for (const prefix of ['LVSLAB-', 'LAB2-', 'KUBEX-', 'TSX-', 'DOCK-']) {
    const result = parseLab(seedWith('lab: seed', `lab: seed\nprefix: ${prefix}`), 'seed.yaml');
    t.true(result.ok, result.ok ? prefix : formatProblems(prefix, result.problems));
  }
});

test("masqueradeMark 0x8000 with kubeletRules legacy is refused as kubelet's drop mark; 0x4000 and kubeletRules current pass", (t) => {
  const problem = only(t, kubeWith('kubeletRules: legacy', 'kubeletRules: legacy\nmasqueradeMark: 0x8000'), 'masqueradeMark');
  t.is(problem?.value, '"0x8000"');
  t.regex(problem?.reason ?? '', /0x8000 is kubelet's drop mark \(KUBE-MARK-DROP, kubeletRules legacy\): KUBE-FIREWALL would drop every masqueraded packet/);
  t.true(parseLab(kubeWith('kubeletRules: legacy', 'kubeletRules: legacy\nmasqueradeMark: 0x4000'), 'k.yaml').ok);
  t.true(parseLab(kubeWith('kubeletRules: legacy', 'kubeletRules: current\nmasqueradeMark: 0x8000'), 'k.yaml').ok);
});

const netBlocklist = (entries: string): string =>
  seedWith('    type: hash:ip\n    entries: [192.168.113.100]', `    type: hash:net\n    entries: [${entries}]`);

test('hash:net entries 10.0.0.1 and 10.0.0.1/32 are one entry: entries[1] is refused as a duplicate of entries[0]', (t) => {
  const problem = only(t, netBlocklist('10.0.0.1, 10.0.0.1/32'), 'blocklists[0].entries[1]');
  t.is(problem?.value, '"10.0.0.1/32"');
  t.is(problem?.reason, 'duplicate of entries[0] (10.0.0.1); ipset holds both as 10.0.0.1');
});

test('hash:net entries 10.1.2.3/8 and 10.0.0.0/8 are one network: refused as a duplicate', (t) => {
  const problem = only(t, netBlocklist('10.0.0.0/8, 192.0.2.1, 10.1.2.3/8'), 'blocklists[0].entries[2]');
  t.is(problem?.reason, 'duplicate of entries[0] (10.0.0.0/8); ipset holds both as 10.0.0.0/8');
});

test('the same string twice is a duplicate too (hash:ip)', (t) => {
  const text = seedWith('entries: [192.168.113.100]', 'entries: [192.168.113.100, 192.168.113.100]');
  t.is(only(t, text, 'blocklists[0].entries[1]')?.reason, 'duplicate of entries[0] (192.168.113.100)');
});

test('blocklist entries load as ipset prints them: host bits cleared, /32 dropped', (t) => {
  const result = parseLab(netBlocklist('10.1.2.3/8, 192.0.2.7/32, 198.51.100.0/24, 198.51.100.7/31, 203.0.113.9'), 'net.yaml');
  if (!result.ok) return t.fail(formatProblems('net.yaml', result.problems));
  t.deepEqual(result.lab.blocklists[0]?.entries, ['10.0.0.0/8', '192.0.2.7', '198.51.100.0/24', '198.51.100.6/31', '203.0.113.9']);
});
