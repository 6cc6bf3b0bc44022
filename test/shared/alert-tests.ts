/**
 * docs/alerts.yaml evaluated on real scrapes: `promtool test rules` input made of lvslabd's /metrics
 * text. Each scenario is one or two scrapes of one node (before and after its fault, or one held
 * state): each sample becomes an input series (with the job and instance labels a Prometheus scrape
 * adds) that takes the first scrape's value at 0m, the last one's at 1m and keeps it for HOLD_MIN
 * minutes, so that every `for:` of the rules has passed at the evaluation time. The expected alerts
 * are given per scenario for every alert of the file: an alert a scenario does not list must not fire.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

export const ALERTS_FILE = 'docs/alerts.yaml';
/** Minutes the last scrape is held for: longer than any `for:` of the rules, shorter than their 30m windows. */
const HOLD_MIN = 10;
const JOB = 'lvslab';

export interface AlertScenario {
  readonly name: string;
  readonly instance: string;
  /** /metrics texts, oldest first (one or two). */
  readonly scrapes: readonly string[];
  /** Alert name → the labels of each alert that must fire (beyond job, instance and the rule's own). */
  readonly firing: Readonly<Record<string, readonly Readonly<Record<string, string>>[]>>;
}

interface Rule { readonly alert: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> }

export function alertRules(text = readFileSync(ALERTS_FILE, 'utf8')): Rule[] {
  const doc = parse(text) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
}

/** A sample line of the exposition → [series selector without value, value]; comments and blank lines → undefined. */
function sample(line: string): [string, string] | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const cut = line.lastIndexOf(' ');
  return [line.slice(0, cut), line.slice(cut + 1)];
}

/** `name{a="b"}` plus the scrape's job and instance labels. */
function withTarget(series: string, instance: string): string {
  const target = `job="${JOB}",instance="${instance}"`;
  const brace = series.indexOf('{');
  return brace < 0 ? `${series}{${target}}` : `${series.slice(0, brace)}{${target},${series.slice(brace + 1)}`;
}

/** The input series of one scenario: every series of any of its scrapes, `_` where a scrape lacks it. */
export function inputSeries(scenario: AlertScenario): { series: string; values: string }[] {
  const [first = '', last = first] = [scenario.scrapes[0], scenario.scrapes.at(-1)];
  const read = (text: string) => new Map(text.split('\n').map(sample).filter((s): s is [string, string] => s !== undefined));
  const a = read(first);
  const b = read(last);
  return [...new Set([...a.keys(), ...b.keys()])].map((key) => {
    const at0 = a.get(key) ?? '_';
    const held = b.get(key) ?? '_';
    return { series: withTarget(key, scenario.instance), values: `${at0} ${Array.from({ length: HOLD_MIN }, () => held).join(' ')}` };
  });
}

/** A rule's annotation as Prometheus renders it when the template uses only `{{ $labels.NAME }}`. */
export function renderAnnotation(template: string, labels: Readonly<Record<string, string>>): string {
  if (/\{\{(?!\s*\$labels\.\w+\s*\}\})/.test(template)) throw new Error(`${ALERTS_FILE}: an annotation uses more than $labels: ${template}`);
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

/** The promtool test file of these scenarios (one test group each), for the rules at `rulesPath`. */
export function promtoolTests(rulesPath: string, scenarios: readonly AlertScenario[], rules = alertRules(readFileSync(rulesPath, 'utf8'))): string {
  const tests = scenarios.map((scenario) => {
    const unknown = Object.keys(scenario.firing).filter((name) => !rules.some((r) => r.alert === name));
    if (unknown.length > 0) throw new Error(`${scenario.name}: no such alert in ${ALERTS_FILE}: ${unknown.join(', ')}`);
    return {
      name: scenario.name,
      interval: '1m',
      input_series: inputSeries(scenario),
      alert_rule_test: rules.map((rule) => ({
        eval_time: `${HOLD_MIN}m`,
        alertname: rule.alert,
        exp_alerts: (scenario.firing[rule.alert] ?? []).map((own) => {
          const labels = { job: JOB, instance: scenario.instance, ...own, ...(rule.labels ?? {}) };
          const annotations = Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, renderAnnotation(v, labels)]));
          return { exp_labels: labels, exp_annotations: annotations };
        }),
      })),
    };
  });
  return stringify({ rule_files: [rulesPath], evaluation_interval: '1m', tests }, { lineWidth: 0 });
}

/** promtool: $PROMTOOL, the one on PATH, or the one scripts/setup.sh --for-tests unpacks from Debian's prometheus package. */
export function promtool(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'promtool'))) return join(dir, 'promtool');
  return '/var/cache/lvslab/prometheus/usr/bin/promtool';
}

export interface PromtoolRun { readonly exitCode: number; readonly output: string }

const run = promisify(execFile);

/** Runs promtool with ARGS; its exit code and its output (stdout and stderr), never throws on a non-zero exit. */
export async function runPromtool(args: readonly string[]): Promise<PromtoolRun> {
  try {
    const { stdout, stderr } = await run(promtool(), [...args], { timeout: 120_000 });
    return { exitCode: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { exitCode: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** `promtool test rules` of the scenarios against docs/alerts.yaml (absolute path `rules`). */
export async function testAlerts(rules: string, scenarios: readonly AlertScenario[]): Promise<PromtoolRun & { readonly file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-alerts-'));
  try {
    const file = promtoolTests(rules, scenarios);
    await writeFile(join(dir, 'alerts.test.yaml'), file);
    return { ...(await runPromtool(['test', 'rules', join(dir, 'alerts.test.yaml')])), file };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
