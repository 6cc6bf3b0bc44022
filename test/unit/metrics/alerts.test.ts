/**
 * docs/alerts.yaml with promtool (unpacked by scripts/setup.sh --for-tests): the rules check, and each
 * alert fires exactly on the state it is for, in scrapes of a Metrics fed the way the daemon feeds it.
 * The systemd end-to-end test does the same with scrapes of the real daemon under each fault.
 */
import test from 'ava';
import { resolve } from 'node:path';
import { Metrics, type RealServerRow } from '../../../daemon/metrics/metrics.js';
import { ALERTS_FILE, alertRules, inputSeries, renderAnnotation, runPromtool, testAlerts, type AlertScenario } from '../../shared/alert-tests.js';

const row = (realServer: string, healthy: boolean): RealServerRow => ({ virtualServer: 'web', realServer, healthy, weight: healthy ? 1 : 0 });
const rs1 = '192.168.113.99:8080';
const rs2 = '192.168.113.98:8080';
const converged = { ok: true, durationMs: 100, countsByKind: {} };

/** A daemon's metrics after `feed`, scraped. */
async function scrape(feed: (m: Metrics) => void): Promise<string> {
  const metrics = new Metrics({ version: '0.1.0' });
  metrics.setRealServers([row(rs1, true), row(rs2, true)]);
  metrics.recordReconcile(converged);
  feed(metrics);
  return metrics.text();
}

test('promtool check rules: docs/alerts.yaml has its 4 alerts and no error', async (t) => {
  const checked = await runPromtool(['check', 'rules', ALERTS_FILE]);
  t.is(checked.exitCode, 0, checked.output);
  t.regex(checked.output, /SUCCESS: 4 rules found/);
  t.deepEqual(alertRules().map((r) => r.alert), ['LvslabSyncFailing', 'LvslabRealServerDown', 'LvslabNoHealthyRealServer', 'LvslabDriftRepairedRepeatedly']);
});

test('promtool test rules: none fires on a healthy node; each state fires exactly its alerts', async (t) => {
  const healthy = await scrape(() => undefined);
  const scenarios: AlertScenario[] = [
    { name: 'healthy', instance: 'ds', scrapes: [healthy], firing: {} },
    {
      name: 'rs1 down', instance: 'ds', firing: { LvslabRealServerDown: [{ virtual_server: 'web', real_server: rs1 }] },
      scrapes: [await scrape((m) => m.setRealServers([row(rs1, false), row(rs2, true)]))],
    },
    {
      name: 'both down', instance: 'ds',
      firing: { LvslabRealServerDown: [{ virtual_server: 'web', real_server: rs1 }, { virtual_server: 'web', real_server: rs2 }], LvslabNoHealthyRealServer: [{ virtual_server: 'web' }] },
      scrapes: [await scrape((m) => m.setRealServers([row(rs1, false), row(rs2, false)]))],
    },
    {
      name: 'three failed runs', instance: 'ds', firing: { LvslabSyncFailing: [{}] },
      scrapes: [await scrape((m) => { for (let i = 0; i < 3; i++) m.recordReconcile({ ok: false, durationMs: 50, countsByKind: {} }); })],
    },
    {
      name: 'two failed runs', instance: 'ds', firing: {},
      scrapes: [await scrape((m) => { for (let i = 0; i < 2; i++) m.recordReconcile({ ok: false, durationMs: 50, countsByKind: {} }); })],
    },
    {
      name: 'drift repaired 3 times', instance: 'ds', firing: { LvslabDriftRepairedRepeatedly: [{}] },
      scrapes: [healthy, await scrape((m) => { for (let i = 0; i < 3; i++) m.recordDriftRepaired({ 'rs-edit': 1 }); })],
    },
    {
      name: 'drift repaired twice', instance: 'ds', firing: {},
      scrapes: [healthy, await scrape((m) => { for (let i = 0; i < 2; i++) m.recordDriftRepaired({ 'rs-edit': 1 }); })],
    },
  ];
  const result = await testAlerts(resolve(ALERTS_FILE), scenarios);
  t.is(result.exitCode, 0, `${result.output}\n${result.file.slice(0, 2000)}`);
  t.regex(result.output, /SUCCESS/);
});

test('promtool test rules fails when an alert the scenario expects does not fire (the check can fail)', async (t) => {
  const healthy = await scrape(() => undefined);
  const result = await testAlerts(resolve(ALERTS_FILE), [{ name: 'healthy, wrongly expected down', instance: 'ds', scrapes: [healthy], firing: { LvslabRealServerDown: [{ virtual_server: 'web', real_server: rs1 }] } }]);
  t.not(result.exitCode, 0);
  t.regex(result.output, /LvslabRealServerDown/);
});

test('input series: the scrape target\'s labels added; a series missing from the first scrape is _ there; the last value held', (t) => {
  const series = inputSeries({ name: 'x', instance: 'ds', firing: {}, scrapes: ['# TYPE a gauge\na 1\n', '# TYPE a gauge\na 2\nb{k="v"} 3\n'] });
  t.deepEqual(series.map((s) => [s.series, s.values.split(' ').slice(0, 3).join(' ')]), [
    ['a{job="lvslab",instance="ds"}', '1 2 2'],
    ['b{job="lvslab",instance="ds",k="v"}', '_ 3 3'],
  ]);
});

test('annotations: $labels rendered; anything else in a template is refused', (t) => {
  t.is(renderAnnotation('rs {{ $labels.real_server }} of {{$labels.virtual_server}}', { real_server: 'a', virtual_server: 'b' }), 'rs a of b');
  t.throws(() => renderAnnotation('{{ $value }} failures', {}), { message: /more than \$labels/ });
});
