/** verify's HA section: `ipvsadm -L --daemon` parsed, and the directors judged (who is master, same IPVS, sync roles, conntrackd answering). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLab } from '../../../daemon/config/load.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import type { VirtualService } from '../../../daemon/kernel/types.js';
import { judgeHa, parseSyncDaemons, type HaDirectorFacts } from '../../../daemon/verify/ha.js';
import { problemCount, renderReport } from '../../../daemon/verify/render.js';

const lab: LabConfig = (() => {
  const r = parseLab(readFileSync('labs/ha.yaml', 'utf8'), 'labs/ha.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.lab;
})();

// as ipvsadm 1.31 printed it in the micro-VM on the backup ds2 of labs/ha.yaml
const BACKUP_LINE = 'backup sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)';
const MASTER_LINE = BACKUP_LINE.replace('backup', 'master');

const web = (weights: [number, number] = [1, 1], rs2 = '192.168.113.98'): VirtualService => ({
  protocol: 'tcp', address: '10.10.0.1', port: 8410, scheduler: 'rr',
  realServers: [{ address: '192.168.113.99', port: 8080, forwarding: 'nat', weight: weights[0] }, { address: rs2, port: 8080, forwarding: 'nat', weight: weights[1] }],
});

const CAUGHT_UP = { internal: 3, external: 5 };
const director = (node: string, holds: string[], daemons: string, ipvs = [web()], conntrackd: HaDirectorFacts['conntrackd'] = CAUGHT_UP): HaDirectorFacts =>
  ({ node, holding: { node, holds }, ipvs, syncDaemons: parseSyncDaemons(daemons), conntrackd });

test('parseSyncDaemons: one entry per line with role, sync id and link; no line is no daemon; an odd line is an error naming it', (t) => {
  t.deepEqual(parseSyncDaemons(`${MASTER_LINE}\n${BACKUP_LINE}\n`), [
    { role: 'master', syncId: 51, link: 'eth0' },
    { role: 'backup', syncId: 51, link: 'eth0' },
  ]);
  t.deepEqual(parseSyncDaemons(''), []);
  t.throws(() => parseSyncDaemons('sync daemon of some other kind'), { message: 'ipvsadm -L --daemon: unexpected line "sync daemon of some other kind"' });
});

test('a sound pair: ds master holding both addresses, the same table on both (weights aside), master and backup sync daemons with syncid 51', (t) => {
  const report = judgeHa(lab, [director('ds', ['192.168.113.110', '10.10.0.1'], MASTER_LINE), director('ds2', [], BACKUP_LINE, [web([0, 1])])]);
  t.true(report.ok);
  t.is(report.master, 'ds');
  t.deepEqual(report.checks.map((c) => c.text), [
    'ds is master: it holds 192.168.113.110, 10.10.0.1; ds2 none',
    'ds and ds2 hold the same IPVS services and real servers (1 service(s), 2 real server(s))',
    'ds runs IPVS\'s master sync daemon (syncid 51 on eth0)',
    'ds2 runs IPVS\'s backup sync daemon (syncid 51 on eth0)',
    "ds's conntrackd holds 3 conntrack entries of its own flows and 5 from ds2",
    "ds2's conntrackd holds 3 conntrack entries of its own flows and 5 from ds",
  ]);
});

test("a director's conntrackd that does not answer is a failed check naming it and why", (t) => {
  const why = "conntrackd exited 1: [ERROR] can't connect: is conntrackd running? appropriate permissions?";
  const report = judgeHa(lab, [director('ds', ['192.168.113.110', '10.10.0.1'], MASTER_LINE), director('ds2', [], BACKUP_LINE, [web()], { error: why })]);
  t.false(report.ok);
  t.deepEqual(report.checks.filter((c) => !c.ok).map((c) => c.text), [`ds2's conntrackd does not answer: ${why}`]);
});

test('both holding the VIP, a real server only on one, a backup without its sync daemon: each is a failed check, and each counts as a problem of the report', (t) => {
  const split = judgeHa(lab, [director('ds', ['192.168.113.110', '10.10.0.1'], MASTER_LINE), director('ds2', ['10.10.0.1'], BACKUP_LINE)]);
  t.false(split.ok);
  t.is(split.master, undefined);
  t.regex(split.checks[0]!.text, /^keepalived's addresses: more than one director holds floating addresses: ds holds 192\.168\.113\.110, 10\.10\.0\.1; ds2 holds 10\.10\.0\.1$/);

  const differ = judgeHa(lab, [director('ds', ['192.168.113.110', '10.10.0.1'], MASTER_LINE), director('ds2', [], '', [web([1, 1], '192.168.113.97')])]);
  t.false(differ.ok);
  t.deepEqual(differ.checks.filter((c) => !c.ok).map((c) => c.text), [
    'ds and ds2 differ in IPVS: only on ds: tcp:10.10.0.1:8410 -> 192.168.113.98:8080 nat; only on ds2: tcp:10.10.0.1:8410 -> 192.168.113.97:8080 nat',
    'ds2 should run IPVS\'s backup sync daemon with syncid 51; running: none',
  ]);
  const report = { lab: 'ha', client: 'client', director: 'ds', ok: false, virtualServers: [], causes: [], notes: [], durationMs: 1, ha: differ };
  t.is(problemCount(report), 2);
  t.regex(renderReport(report), /\nha: ds2 should run IPVS's backup sync daemon with syncid 51; running: none ✗\n(ha: .* ✓\n){2}verify: FAIL \(2 problems\)$/);
});
