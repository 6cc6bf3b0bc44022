/** verify and doctor name IPVS timeouts on the director that differ from the lab's ipvsTimeouts; a lab without the key reads none. */
import test from 'ava';
import { diagnoseKube, renderDoctor } from '../../../daemon/doctor/kube-diagnose.js';
import type { KubeFacts } from '../../../daemon/doctor/kube-types.js';
import { renderReport } from '../../../daemon/verify/render.js';
import { runVerify } from '../../../daemon/verify/verify.js';
import { fixture, lab, scriptedAccess } from './helpers.js';
import { workingLab } from './scripts.js';

const timed = { ...lab, ipvsTimeouts: { tcp: 900, udp: 300 } };
const reading = (file: string) => ({ ...workingLab, ds: { ...workingLab.ds, 'ipvsadm -L --timeout': { stdout: fixture(file) } } });

test('verify: the director\'s timeouts as the lab sets them pass, read with one ipvsadm -L --timeout', async (t) => {
  const fake = scriptedAccess(t, reading('ipvsadm-L-timeout.txt'));
  const report = await runVerify(timed, fake.access, { requests: 4, statsLagMs: 0 });
  t.like(report, { ok: true, causes: [], notes: [] });
  t.is(fake.count('ds', 'ipvsadm -L --timeout'), 1);
  t.is(renderReport(report).split('\n').at(-1), 'verify: PASS');
});

test('verify: a wrong timeout fails it, named [ipvs-timeouts] with the reading as evidence, though every request passed', async (t) => {
  const report = await runVerify(timed, scriptedAccess(t, reading('ipvsadm-L-timeout-set.txt')).access, { requests: 4, statsLagMs: 0 });
  t.false(report.ok);
  t.true(report.virtualServers.every((vs) => vs.ok));
  t.deepEqual(report.causes.map((c) => c.code), ['ipvs-timeouts']);
  t.is(report.causes[0]?.message, "the director ds holds other IPVS timeouts than the lab's ipvsTimeouts (tcp 7200s where the lab sets 900s, udp 60s where the lab sets 300s), so IPVS forgets idle connections at other times than the lab says (lvslabd writes the lab's values back on its next run).");
  const text = renderReport(report);
  t.regex(text, /\ndirector ds: ✗ the director ds holds other IPVS timeouts .* \[ipvs-timeouts\]\n {6}evidence: ipvsadm -L --timeout on ds: Timeout \(tcp tcpfin udp\): 7200 30 60\nverify: FAIL \(1 problem\)$/);
});

test('verify: timeouts that cannot be read (a remote director) are a note, not a failure; a lab without the key reads none', async (t) => {
  const broken = { ...workingLab, ds: { ...workingLab.ds, 'ipvsadm -L --timeout': { stderr: "Can't initialize ipvs", exitCode: 2 } } };
  const report = await runVerify(timed, scriptedAccess(t, broken).access, { requests: 4, statsLagMs: 0 });
  t.true(report.ok);
  t.regex(report.notes[0] ?? '', /^IPVS timeouts on ds not read: /);
  t.regex(renderReport(report), /\ndirector ds: note: IPVS timeouts on ds not read: /);
  // scriptedAccess fails the test on any command it was not given
  t.like(await runVerify(lab, scriptedAccess(t, workingLab).access, { requests: 4, statsLagMs: 0 }), { ok: true, causes: [], notes: [] });
});

const kubeFacts = (seen: KubeFacts['ipvsTimeouts']): KubeFacts => ({
  director: { name: 'ds', ip: '192.168.113.101' },
  client: { name: 'client', ip: '192.168.113.102' },
  directorSysctls: { 'net.ipv4.vs.conntrack': '1', 'net.ipv4.ip_forward': '1' },
  ...(seen ? { ipvsTimeouts: seen } : {}),
  nodePortRange: { min: 30000, max: 32767 },
  services: [],
  notes: [],
});

test('doctor: a wrong timeout is a problem [ipvs-timeouts]; the lab\'s values, or none set, are not', (t) => {
  const report = diagnoseKube('kube', kubeFacts({ wanted: { udp: 10 }, seen: { tcp: 900, tcpFin: 120, udp: 300 } }));
  t.false(report.ok);
  t.deepEqual(report.findings.map((f) => [f.code, f.kind]), [['ipvs-timeouts', 'problem']]);
  t.regex(renderDoctor(report), /PROBLEM \[ipvs-timeouts\] the director ds holds other IPVS timeouts than the lab's ipvsTimeouts \(udp 300s where the lab sets 10s\)/);
  t.true(diagnoseKube('kube', kubeFacts({ wanted: { udp: 10 }, seen: { tcp: 900, tcpFin: 120, udp: 10 } })).ok);
  t.true(diagnoseKube('kube', kubeFacts(undefined)).ok);
});
