/** The failover drill's arithmetic and words: the new connections' outage, the verdict, the report, ipvsadm -Lnc counted. */
import test from 'ava';
import { establishedTo, judgeDrill, movesOf, outageOf, parseAddressLine, renderDrill, type DrillReport } from '../../../daemon/ha/drill-report.js';

const ok = (at: number) => ({ at, ok: true });
const no = (at: number) => ({ at, ok: false });

test('outageOf: from the first failed request sent after takenAt − 1 s to the first answered one after the last failure', (t) => {
  // taken at 5000: requests every 100 ms, failing from 5100 to 5700
  const timeline = [ok(4800), ok(4900), ok(5000), no(5100), no(5200), no(5300), no(5700), ok(5800), ok(5900)];
  t.deepEqual(outageOf(timeline, 5000), { sent: 9, failed: 4, outageMs: 700 });
});

test('outageOf: no failure is no outage; a failure over 1 s before the failover is not the failover\'s', (t) => {
  t.deepEqual(outageOf([ok(1), ok(2)], 1), { sent: 2, failed: 0, outageMs: 0 });
  t.deepEqual(outageOf([no(1000), ok(1100), ok(3000)], 2500), { sent: 3, failed: 1, outageMs: 0 });
});

test('outageOf: failures to the end (nothing answered again) count to the last failure', (t) => {
  t.deepEqual(outageOf([ok(0), no(500), no(900)], 400), { sent: 3, failed: 2, outageMs: 400 });
});

const parts: Omit<DrillReport, 'ok'> = {
  lab: 'ha', way: 'keepalived', from: 'ds', to: 'ds2', movedMs: 622, firstChangeMs: 14, addressEvents: 4, bothHeld: 0, changes: [],
  newConnections: { sent: 120, failed: 9, outageMs: 1191 },
  established: { held: 4, copiedToBackup: 4, inBackupConntrackd: 4, survived: 4, errors: [] },
  returned: { preempt: false, expected: 'ds2', master: 'ds2', ok: true },
};

test('a drill passes when the backup took over, no sample had the VIP on both, every held connection answered after, and the returning master did what preemption says; the report has a line for each', (t) => {
  const report = judgeDrill(parts);
  t.true(report.ok);
  t.is(renderDrill(report), [
    'lvslab drill failover: lab ha, master ds taken away: its keepalived stopped (SIGTERM)',
    '  ds2 held the floating addresses 0.62 s after the first address change ✓ (which came 0.01 s after the command that took ds away)',
    '  both directors held the VIP after 0 of 4 address changes on their lab links (ip monitor address) ✓',
    '  new connections: 9 of 120 failed; outage 1.19 s',
    "  established connections: 4 of 4 answered after the failover (before it, ds2 held 4 from the IPVS sync daemon and 4 in conntrackd's external cache) ✓",
    '  ds back: ds2 is master (no preemption: ds2 expected) ✓',
    'drill: PASS',
  ].join('\n'));
});

test('a drill fails when the backup never took over, when a sample had both with the VIP, when a held connection did not answer after, or when the old master came back against preemption', (t) => {
  const { movedMs: _, ...never } = parts;
  t.false(judgeDrill(never).ok);
  t.regex(renderDrill(judgeDrill(never)), /\n {2}✗ ds2 never held the floating addresses\n/);
  const { firstChangeMs: __, ...unseen } = parts;
  t.regex(renderDrill(judgeDrill(unseen)), /\n {2}ds2 held the floating addresses 0\.62 s after the first address change ✓\n/, 'no first change seen: no clause about it');
  t.false(judgeDrill({ ...parts, bothHeld: 1 }).ok);
  const back = judgeDrill({ ...parts, returned: { preempt: false, expected: 'ds2', master: 'ds', ok: false } });
  t.false(back.ok);
  t.regex(renderDrill(back), /\n {2}ds back: ds is master \(no preemption: ds2 expected\) ✗\ndrill: FAIL$/);
  const lost = judgeDrill({ ...parts, established: { held: 4, copiedToBackup: 4, inBackupConntrackd: 0, survived: 2, errors: ['read ECONNRESET', 'read ECONNRESET'] } });
  t.false(lost.ok);
  t.regex(renderDrill(lost), /2 of 4 answered after the failover \(before it, ds2 held 4 from the IPVS sync daemon and 0 in conntrackd's external cache\); the others: read ECONNRESET ✗\n/);
});

test('establishedTo counts ESTABLISHED connections to the VIP and port in ipvsadm -L -n -c, and nothing else', (t) => {
  const text = [
    'IPVS connection entries',
    'pro expire state       source             virtual            destination',
    'TCP 14:59  ESTABLISHED 192.168.113.102:41496 10.10.0.1:8410     192.168.113.99:8080',
    'TCP 14:58  ESTABLISHED 192.168.113.102:41510 10.10.0.1:8410     192.168.113.98:8080',
    'TCP 01:59  TIME_WAIT   192.168.113.102:41536 10.10.0.1:8410     192.168.113.98:8080',
    'TCP 14:59  ESTABLISHED 192.168.113.102:41550 10.10.0.1:8411     192.168.113.99:8081',
    '',
  ].join('\n');
  t.is(establishedTo(text, '10.10.0.1', 8410), 2);
  t.is(establishedTo('IPVS connection entries\npro expire state source virtual destination\n', '10.10.0.1', 8410), 0);
});

test('parseAddressLine reads ip -ts monitor address lines (TZ=UTC): the time ip printed as epoch ms', (t) => {
  t.deepEqual(parseAddressLine('[2026-12-03T18:07:07.630309] 3: ens5    inet 10.10.0.1/32 scope global ens5', 'ens5'), { added: true, ip: '10.10.0.1', stampedMs: Date.UTC(2026, 11, 3, 18, 7, 7, 630) });
  t.deepEqual(parseAddressLine('[2026-12-03T18:07:07.000001] Deleted 3: ens5    inet 192.168.113.110/24 scope global secondary ens5', 'ens5'),
    { added: false, ip: '192.168.113.110', stampedMs: Date.UTC(2026, 11, 3, 18, 7, 7, 0) });
  t.is(parseAddressLine('[2026-12-03T18:07:07.630309] 3: ens4    inet 10.10.0.1/32 scope global ens4', 'ens5'), undefined);
});

test('parseAddressLine reads ip monitor address lines of the link: added, deleted; inet6, other links and valid_lft lines are none', (t) => {
  t.deepEqual(parseAddressLine('2: eth0    inet 10.10.0.1/32 scope global eth0', 'eth0'), { added: true, ip: '10.10.0.1' });
  t.deepEqual(parseAddressLine('Deleted 2: eth0    inet 192.168.113.110/24 scope global secondary eth0', 'eth0'), { added: false, ip: '192.168.113.110' });
  t.is(parseAddressLine('2: eth0    inet6 fe80::1/64 scope link', 'eth0'), undefined);
  t.is(parseAddressLine('3: lvslab0    inet 10.10.0.1/32 scope global lvslab0', 'eth0'), undefined);
  t.is(parseAddressLine('       valid_lft forever preferred_lft forever', 'eth0'), undefined);
});

const ev = (node: string, at: number, added: boolean, ip: string) => ({ node, at, added, ip });
const FLOATING = ['192.168.113.110', '10.10.0.1'];

test('movesOf: the backup holds everything at its last add; the VIP on both counts each event after which both held it', (t) => {
  const clean = [ev('ds', 120, false, '192.168.113.110'), ev('ds', 121, false, '10.10.0.1'), ev('ds2', 650, true, '192.168.113.110'), ev('ds2', 674, true, '10.10.0.1')];
  t.deepEqual(movesOf(clean, FLOATING, '10.10.0.1', 'ds', 'ds2'), { movedMs: 674, bothHeld: 0 });
  const overlap = [ev('ds2', 600, true, '192.168.113.110'), ev('ds2', 601, true, '10.10.0.1'), ev('ds', 900, false, '10.10.0.1'), ev('ds', 901, false, '192.168.113.110')];
  t.deepEqual(movesOf(overlap, FLOATING, '10.10.0.1', 'ds', 'ds2'), { movedMs: 601, bothHeld: 1 });
  t.deepEqual(movesOf([ev('ds', 100, false, '10.10.0.1')], FLOATING, '10.10.0.1', 'ds', 'ds2'), { bothHeld: 0 }, 'never moved');
});
