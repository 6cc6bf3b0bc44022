import test from 'ava';
import { register as globalRegistry } from 'prom-client';
import { Metrics, toolOf } from '../../../daemon/metrics/metrics.js';
import { checkGrammar, family, parseExposition, samples } from './helpers.js';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0, 250);
const ok = (durationMs: number, countsByKind: Record<string, number>) => ({ ok: true, durationMs, countsByKind });

test('every family is there with its type, and nothing else (no default process metrics)', async (t) => {
  const families = parseExposition(await new Metrics().text());
  t.deepEqual(Object.fromEntries(families.map((f) => [f.name, f.type])), {
    lvslab_sync_duration_seconds: 'HISTOGRAM',
    lvslab_last_successful_sync_timestamp_seconds: 'GAUGE',
    lvslab_changes_applied_total: 'COUNTER',
    lvslab_command_failures_total: 'COUNTER',
    lvslab_real_server_healthy: 'GAUGE',
    lvslab_real_server_weight: 'GAUGE',
    lvslab_ipvs_connections: 'GAUGE',
    lvslab_build_info: 'GAUGE',
    lvslab_real_server_connections_total: 'COUNTER',
    lvslab_real_server_packets_total: 'COUNTER',
    lvslab_real_server_bytes_total: 'COUNTER',
    lvslab_sync_last_queued_timestamp_seconds: 'GAUGE',
    lvslab_sync_runs_total: 'COUNTER',
    lvslab_sync_consecutive_failures: 'GAUGE',
    lvslab_drift_repaired_total: 'COUNTER',
    lvslab_drift_repairs_total: 'COUNTER',
    lvslab_reloads_total: 'COUNTER',
    lvslab_health_check_duration_seconds: 'HISTOGRAM',
    lvslab_health_transitions_total: 'COUNTER',
    lvslab_reconcile_cpu_seconds_total: 'COUNTER',
    lvslab_scheduled_runs_deferred_total: 'COUNTER',
  });
  t.true(families.every((f) => f.help.length > 0));
});

test('lvslab_build_info: 1, with the version given and this Node.js', async (t) => {
  const families = parseExposition(await new Metrics({ version: '9.8.7' }).text());
  t.deepEqual(samples(families, 'lvslab_build_info'), { [`version=9.8.7,nodejs=${process.version}`]: '1' });
});

test('sync runs by result from zero; consecutive failures count up from the last success (a superseded run leaves them as they are)', async (t) => {
  const metrics = new Metrics({ now: () => NOW });
  const runs = async () => samples(parseExposition(await metrics.text()), 'lvslab_sync_runs_total');
  const failing = async () => samples(parseExposition(await metrics.text()), 'lvslab_sync_consecutive_failures')[''];
  t.deepEqual(await runs(), { 'result=ok': '0', 'result=failed': '0', 'result=superseded': '0' });
  t.is(await failing(), '0');
  metrics.recordReconcile({ ok: false, durationMs: 10, countsByKind: {} });
  metrics.recordReconcile({ ok: false, durationMs: 10, countsByKind: {} });
  metrics.recordReconcile({ ok: true, superseded: true, durationMs: 10, countsByKind: {} });
  t.is(await failing(), '2');
  metrics.recordReconcile(ok(10, {}));
  t.is(await failing(), '0');
  t.deepEqual(await runs(), { 'result=ok': '1', 'result=failed': '2', 'result=superseded': '1' });
});

test('recordQueued sets the last-queued timestamp; reloads by result from zero; drift repairs from zero, their changes by kind', async (t) => {
  const metrics = new Metrics({ now: () => NOW });
  t.deepEqual(samples(parseExposition(await metrics.text()), 'lvslab_drift_repairs_total'), { '': '0' });
  metrics.recordQueued();
  metrics.recordReload('refused');
  metrics.recordDriftRepaired({ 'rs-edit': 2, 'vs-add': 0 });
  metrics.recordDriftRepaired({ 'rs-edit': 1, 'sysctl-set': 1 });
  const families = parseExposition(await metrics.text());
  t.deepEqual(samples(families, 'lvslab_sync_last_queued_timestamp_seconds'), { '': String(NOW / 1000) });
  t.deepEqual(samples(families, 'lvslab_reloads_total'), { 'result=applied': '0', 'result=refused': '1' });
  t.deepEqual(samples(families, 'lvslab_drift_repaired_total'), { 'kind=rs-edit': '3', 'kind=sysctl-set': '1' });
  t.deepEqual(samples(families, 'lvslab_drift_repairs_total'), { '': '2' });
});

test('health checks: duration by result in seconds, transitions by the state reached', async (t) => {
  const metrics = new Metrics();
  const rs1 = { virtualServer: 'web', realServer: '192.168.113.99:8080' };
  metrics.recordHealthCheck(rs1, true, 4);
  metrics.recordHealthCheck(rs1, false, 2000);
  metrics.recordHealthTransition(rs1, 'down');
  metrics.recordHealthTransition(rs1, 'up');
  metrics.recordHealthTransition(rs1, 'down');
  const families = parseExposition(await metrics.text());
  t.deepEqual(samples(families, 'lvslab_health_transitions_total'), {
    'virtual_server=web,real_server=192.168.113.99:8080,to=down': '2',
    'virtual_server=web,real_server=192.168.113.99:8080,to=up': '1',
  });
  // parse-prometheus-text-format drops a labelled histogram's labels, sum and count: read those lines as they are
  const lines = (await metrics.text()).split('\n');
  const rs1Labels = 'virtual_server="web",real_server="192.168.113.99:8080"';
  for (const line of [
    `lvslab_health_check_duration_seconds_sum{${rs1Labels},result="ok"} 0.004`,
    `lvslab_health_check_duration_seconds_count{${rs1Labels},result="ok"} 1`,
    `lvslab_health_check_duration_seconds_bucket{le="0.001",${rs1Labels},result="ok"} 0`,
    `lvslab_health_check_duration_seconds_bucket{le="0.005",${rs1Labels},result="ok"} 1`,
    `lvslab_health_check_duration_seconds_bucket{le="1",${rs1Labels},result="failed"} 0`,
    `lvslab_health_check_duration_seconds_bucket{le="2.5",${rs1Labels},result="failed"} 1`,
  ]) t.true(lines.includes(line), line);
});

test('setRealServers: the kernel\'s traffic counters of a real server as they are, by direction; none without counters', async (t) => {
  const metrics = new Metrics();
  const counters = { conns: 12, inPkts: 70, outPkts: 60, inBytes: 4800, outBytes: 9100 };
  metrics.setRealServers([
    { virtualServer: 'web', realServer: '192.168.113.99:8080', weight: 1, counters },
    { virtualServer: 'web', realServer: '192.168.113.98:8080', weight: 1 },
  ]);
  metrics.setRealServers([{ virtualServer: 'web', realServer: '192.168.113.99:8080', weight: 1, counters: { ...counters, conns: 13 } }]);
  const families = parseExposition(await metrics.text());
  const rs1 = 'virtual_server=web,real_server=192.168.113.99:8080';
  t.deepEqual(samples(families, 'lvslab_real_server_connections_total'), { [rs1]: '13' });
  t.deepEqual(samples(families, 'lvslab_real_server_packets_total'), { [`${rs1},direction=in`]: '70', [`${rs1},direction=out`]: '60' });
  t.deepEqual(samples(families, 'lvslab_real_server_bytes_total'), { [`${rs1},direction=in`]: '4800', [`${rs1},direction=out`]: '9100' });
});

test('reconcile CPU in seconds (a negative reading counts as none) and deferred ticks, from zero', async (t) => {
  const m = new Metrics();
  const value = async (name: string) => samples(parseExposition(await m.text()), name)[''];
  t.is(await value('lvslab_reconcile_cpu_seconds_total'), '0');
  t.is(await value('lvslab_scheduled_runs_deferred_total'), '0');
  m.recordReconcileCpu(1250);
  m.recordReconcileCpu(-5);
  m.recordScheduledRunDeferred();
  m.recordScheduledRunDeferred();
  t.is(await value('lvslab_reconcile_cpu_seconds_total'), '1.25');
  t.is(await value('lvslab_scheduled_runs_deferred_total'), '2');
});

test('recordReconcile: duration, success timestamp and changes by kind', async (t) => {
  const metrics = new Metrics({ now: () => NOW });
  metrics.recordReconcile(ok(1500, { 'rs-edit': 2, 'vs-add': 1 }));
  metrics.recordReconcile(ok(80, { 'rs-edit': 1 }));
  const text = await metrics.text();
  t.true(text.split('\n').includes('lvslab_changes_applied_total{kind="rs-edit"} 3'));
  const families = parseExposition(text);
  t.deepEqual(samples(families, 'lvslab_changes_applied_total'), { 'kind=rs-edit': '3', 'kind=vs-add': '1' });
  t.deepEqual(samples(families, 'lvslab_last_successful_sync_timestamp_seconds'), { '': '1714557600.25' });
  const [histogram] = family(families, 'lvslab_sync_duration_seconds').metrics;
  t.is(histogram?.count, '2');
  t.is(Number(histogram?.sum), 1.58);
  t.like(histogram?.buckets, { '0.05': '0', '0.1': '1', '1': '1', '2.5': '2', '+Inf': '2' });
});

test('recordReconcile of a failed run: its duration counts, no timestamp, no changes counted as applied', async (t) => {
  let now = NOW;
  const metrics = new Metrics({ now: () => now });
  metrics.recordReconcile(ok(100, { 'vs-add': 1 }));
  now += 60_000;
  metrics.recordReconcile({ ok: false, durationMs: 300, countsByKind: { 'rs-add': 2 } });
  const families = parseExposition(await metrics.text());
  t.deepEqual(samples(families, 'lvslab_last_successful_sync_timestamp_seconds'), { '': String(NOW / 1000) });
  t.deepEqual(samples(families, 'lvslab_changes_applied_total'), { 'kind=vs-add': '1' });
  t.is(family(families, 'lvslab_sync_duration_seconds').metrics[0]?.count, '2');
});

test('recordReconcile of a superseded run (it wrote nothing): its duration counts, no timestamp, no changes counted as applied', async (t) => {
  let now = NOW;
  const metrics = new Metrics({ now: () => now });
  metrics.recordReconcile(ok(100, { 'vs-add': 1 }));
  now += 60_000;
  metrics.recordReconcile({ ok: true, superseded: true, durationMs: 200, countsByKind: { 'rs-del': 2, 'vs-add': 1 } });
  const families = parseExposition(await metrics.text());
  t.deepEqual(samples(families, 'lvslab_changes_applied_total'), { 'kind=vs-add': '1' });
  t.deepEqual(samples(families, 'lvslab_last_successful_sync_timestamp_seconds'), { '': String(NOW / 1000) });
  t.is(family(families, 'lvslab_sync_duration_seconds').metrics[0]?.count, '2');
});

test('readRealServersWith: the rows are read again at each text(), replacing the samples', async (t) => {
  const metrics = new Metrics();
  let weight = 1;
  let reads = 0;
  metrics.readRealServersWith(async () => {
    reads += 1;
    return [{ virtualServer: 'web', realServer: '192.168.113.99:8080', weight }];
  });
  t.deepEqual(samples(parseExposition(await metrics.text()), 'lvslab_real_server_weight'), { 'virtual_server=web,real_server=192.168.113.99:8080': '1' });
  weight = 0;
  t.deepEqual(samples(parseExposition(await metrics.text()), 'lvslab_real_server_weight'), { 'virtual_server=web,real_server=192.168.113.99:8080': '0' });
  t.is(reads, 2);
});

test('recordCommandFailure counts per tool; toolOf sees through ip netns exec and directories', async (t) => {
  const metrics = new Metrics();
  for (const argv of [['ipvsadm', '-R'], ['ip', 'netns', 'exec', 'seed-ds', 'ipvsadm', '-S', '-n'], ['/usr/sbin/conntrack', '-L'], ['ip', '-batch', '-']]) {
    metrics.recordCommandFailure(toolOf(argv));
  }
  t.deepEqual(samples(parseExposition(await metrics.text()), 'lvslab_command_failures_total'), { 'tool=ipvsadm': '2', 'tool=conntrack': '1', 'tool=ip': '1' });
  t.is(toolOf([]), '');
  t.is(toolOf(['ip', 'netns', 'exec', 'seed-ds']), 'ip');
});

test('setRealServers: health 1/0 (absent when unknown), weight, connections by state', async (t) => {
  const metrics = new Metrics();
  metrics.setRealServers([
    { virtualServer: 'web', realServer: '192.168.113.99:8080', healthy: true, weight: 1, activeConns: 3, inactiveConns: 7 },
    { virtualServer: 'web', realServer: '192.168.113.98:8080', healthy: false, weight: 0, activeConns: 0, inactiveConns: 2 },
    { virtualServer: 'dns', realServer: '192.168.113.99:53', weight: 5 },
  ]);
  const text = await metrics.text();
  const lines = text.split('\n');
  t.true(lines.includes('lvslab_real_server_healthy{virtual_server="web",real_server="192.168.113.98:8080"} 0'));
  t.true(lines.includes('lvslab_ipvs_connections{virtual_server="web",real_server="192.168.113.99:8080",state="inactive"} 7'));
  const families = parseExposition(text);
  t.deepEqual(samples(families, 'lvslab_real_server_healthy'), {
    'virtual_server=web,real_server=192.168.113.99:8080': '1',
    'virtual_server=web,real_server=192.168.113.98:8080': '0',
  });
  t.deepEqual(samples(families, 'lvslab_real_server_weight'), {
    'virtual_server=web,real_server=192.168.113.99:8080': '1',
    'virtual_server=web,real_server=192.168.113.98:8080': '0',
    'virtual_server=dns,real_server=192.168.113.99:53': '5',
  });
  t.deepEqual(samples(families, 'lvslab_ipvs_connections'), {
    'virtual_server=web,real_server=192.168.113.99:8080,state=active': '3',
    'virtual_server=web,real_server=192.168.113.99:8080,state=inactive': '7',
    'virtual_server=web,real_server=192.168.113.98:8080,state=active': '0',
    'virtual_server=web,real_server=192.168.113.98:8080,state=inactive': '2',
  });
});

test('setRealServers replaces: a real server left out disappears from every family', async (t) => {
  const metrics = new Metrics();
  const row = (realServer: string, weight: number) => ({ virtualServer: 'web', realServer, healthy: true, weight, activeConns: 1, inactiveConns: 0 });
  metrics.setRealServers([row('192.168.113.99:8080', 1), row('192.168.113.98:8080', 1)]);
  metrics.setRealServers([row('192.168.113.99:8080', 3)]);
  const text = await metrics.text();
  t.false(text.includes('192.168.113.98'));
  const families = parseExposition(text);
  t.deepEqual(samples(families, 'lvslab_real_server_weight'), { 'virtual_server=web,real_server=192.168.113.99:8080': '3' });
  t.is(family(families, 'lvslab_ipvs_connections').metrics.length, 2);
  metrics.setRealServers([]);
  for (const name of ['lvslab_real_server_healthy', 'lvslab_real_server_weight', 'lvslab_ipvs_connections']) {
    t.deepEqual(family(parseExposition(await metrics.text()), name).metrics, [], name);
  }
});

test('label values are escaped so the text stays valid', async (t) => {
  const metrics = new Metrics();
  metrics.setRealServers([{ virtualServer: 'odd "name"\\x\nnext', realServer: '10.0.0.1:80', weight: 1 }]);
  const families = parseExposition(await metrics.text());
  t.deepEqual(family(families, 'lvslab_real_server_weight').metrics[0]?.labels, { virtual_server: 'odd "name"\\x\nnext', real_server: '10.0.0.1:80' });
});

test('each Metrics has its own registry: none in the global one, two instances do not clash', async (t) => {
  const a = new Metrics();
  const b = new Metrics();
  a.recordCommandFailure('ipset');
  t.false((await globalRegistry.metrics()).includes('lvslab_'));
  t.false((await b.text()).includes('tool="ipset"'));
  t.is(a.contentType, 'text/plain; version=0.0.4; charset=utf-8');
});

test('the strict grammar check refuses what the lenient parser would take', (t) => {
  checkGrammar('# TYPE a_total counter\na_total{kind="x"} 1\n');
  for (const bad of [
    '# TYPE a gauge\na 1', // no final newline
    '# TYPE a gauge\na one\n',
    '# TYPE a gauge\nb 1\n',
    '# TYPE 1a gauge\n1a 1\n',
    '# TYPE a gauge\na{k="v",k="w"} 1\n',
    '# TYPE a gauge\na{k="v\\t"} 1\n',
    '# TYPE a gauge\na 1\na 2\n',
    '# TYPE a histogram\na_bucket 1\n',
  ]) t.throws(() => checkGrammar(bad), undefined, JSON.stringify(bad));
});
