/**
 * docs/grafana-dashboard.json: every query is PromQL that promtool parses (each written as a recording
 * rule, with Grafana's variables given values), names only families the daemon exposes, and together
 * the queries show every family.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Metrics } from '../../../daemon/metrics/metrics.js';
import { runPromtool } from '../../shared/alert-tests.js';
import { parseExposition } from './helpers.js';

interface Panel { readonly title: string; readonly type: string; readonly targets?: readonly { readonly expr: string }[] }
const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
  uid: string; panels: Panel[]; templating: { list: { name: string; query?: string | { query: string } }[] };
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })));
const variableQueries = dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' ? [v.query.query] : []));
/** Grafana's variables as a query sees them once substituted. */
const substituted = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*');
/** The families a query names (a histogram's _bucket, _sum and _count are its family). */
const familiesIn = (expr: string) => [...expr.matchAll(/\blvslab_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));

test('every panel query parses as PromQL (promtool check rules, each as a recording rule)', async (t) => {
  t.true(queries.length >= 15, `${queries.length} queries`);
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-dashboard-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `lvslab_dashboard:query_${i}`, expr: substituted(q.expr) })) }] };
  await writeFile(join(dir, 'dashboard.rules.yaml'), stringify(rules));
  const checked = await runPromtool(['check', 'rules', join(dir, 'dashboard.rules.yaml')]);
  t.is(checked.exitCode, 0, checked.output);
});

test('the queries name only families of /metrics, and show every one of them', async (t) => {
  const exposed = new Set(parseExposition(await new Metrics().text()).map((f) => f.name));
  const named = new Set([...queries.map((q) => q.expr), ...variableQueries].flatMap(familiesIn));
  t.deepEqual([...named].filter((n) => !exposed.has(n)), [], 'named by the dashboard, not exposed');
  t.deepEqual([...exposed].filter((n) => !named.has(n)), [], 'exposed, not on the dashboard');
});

test('a query naming a family that does not exist is caught (the check can fail)', (t) => {
  t.deepEqual(familiesIn('rate(lvslab_no_such_total[1m]) + lvslab_sync_duration_seconds_bucket'), ['lvslab_no_such_total', 'lvslab_sync_duration_seconds']);
});
