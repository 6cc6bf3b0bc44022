import test from 'ava';
import { renderReport } from '../../../daemon/verify/render.js';
import { runVerify } from '../../../daemon/verify/verify.js';
import { lab, scriptedAccess } from './helpers.js';
import { vsConntrackOffLab, workingLab } from './scripts.js';

test('renderReport: a passing lab, the article\'s reading of each flow', async (t) => {
  const report = await runVerify(lab, scriptedAccess(t, workingLab).access, { requests: 4, statsLagMs: 0 });
  const lines = renderReport({ ...report, durationMs: 12 }).split('\n');
  t.is(lines[0], 'lvslab verify: lab seed, client client → director ds (12 ms)');
  t.is(lines[1], 'web 10.10.0.1:8410/tcp rr: 4/4 answered — rs1 2, rs2 2 (rr: counts differ by at most 1) ✓');
  t.regex(lines[2] ?? '', /^ {2}client 192\.168\.113\.102:55122 → VIP 10\.10\.0\.1:8410: IPVS chose rs2 .* \[TIME_WAIT\]$/);
  t.is(lines[6], '  conntrack: flows of 4/4 probes on client, 4/4 on ds');
  t.is(lines.at(-1), 'verify: PASS');
});

test('renderReport: a failing lab shows the failed probes, the cause with its evidence, and FAIL', async (t) => {
  const report = await runVerify(lab, scriptedAccess(t, vsConntrackOffLab).access, { requests: 2, statsLagMs: 0 });
  const text = renderReport(report);
  t.regex(text, /web 10\.10\.0\.1:8410\/tcp rr: 0\/2 answered — rs1 0, rs2 0 \(.*\) ✗/);
  t.regex(text, /\n {2}failed: 2 × curl exit 28 \(timed out\): curl: \(28\) Connection timed out/);
  t.regex(text, /\n {2}✗ likely cause: net\.ipv4\.vs\.conntrack is 0 on the director ds.* \[vs-conntrack-off\]\n {6}evidence: net\.ipv4\.vs\.conntrack = 0 on ds/);
  t.true(text.endsWith('\nverify: FAIL (1 problem)'));
});

test('renderReport: a failing service without a cause still counts as a problem', (t) => {
  const text = renderReport({
    lab: 'seed', client: 'client', director: 'ds', ok: false, durationMs: 1,
    virtualServers: [{
      name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr', requests: 2, succeeded: 2,
      distribution: { rs1: 2, rs2: 0 }, distributionOk: false, distributionRule: 'rr: counts differ by at most 1',
      probes: [], flows: [], clientFlowsMatched: 0, directorFlowsMatched: 0, causes: [], notes: [], ok: false,
    }],
    causes: [],
    notes: [],
  });
  t.regex(text, /✗ no likely cause found in what was read/);
  t.true(text.endsWith('verify: FAIL (1 problem)'));
});
