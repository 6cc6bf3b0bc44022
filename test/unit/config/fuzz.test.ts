/**
 * A seeded fuzz of the lab loader: 10,000 generated files (mutations of the shipped labs and labs made
 * from a grammar of the lab file) through the real parseLab (yaml.ts, guard.ts, schema, checks), and
 * every 50th also through loadLab from a file, byte-flipped. Deterministic: set LVSLAB_FUZZ_SEED to
 * replay another seed; the seed is logged.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { loadLab, parseLab, type LoadResult } from '../../../daemon/config/load.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { Dice, grammarLab, mutate, prng } from './lab-fuzz.js';
import { repoPath } from './helpers.js';

const FILES = 10_000;
const SEED = Number(process.env['LVSLAB_FUZZ_SEED'] ?? 0x1ab5eed);
/** Hang guard only (no speed claim): the slowest file seen so far took well under 0.1 s. */
const HANG_MS = 5_000;
/** How far the worker's peak RSS may rise during the run (one ballooning file shows here), and heap the run may retain. */
const PEAK_RSS_RISE = 256 * 2 ** 20;
const RETAINED_HEAP = 32 * 2 ** 20;
const EVERY_FILE_ON_DISK = 50;
/** Files per test: each test finishes long before ava's 60 s without a result, even on a busy machine. */
const CHUNK = 1_000;

/** The shipped labs without their comment lines (a third of their bytes, where a mutation changes nothing). */
const SOURCES = ['labs', 'test/fixtures/labs'].flatMap((dir) =>
  readdirSync(repoPath(dir)).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(repoPath(`${dir}/${f}`), 'utf8').replace(/^\s*#.*\n/gm, '')));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => process.memoryUsage().heapUsed;
/** The worker's peak resident set so far, in bytes. */
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** What is wrong with a result (undefined: a well-formed result). */
function resultProblem(result: LoadResult): string | undefined {
  if (result.ok) {
    // A lab that loads must plan on every node: the plan trusts what the loader let through.
    for (const node of result.lab.nodes) planNode(result.lab, node.name);
    return undefined;
  }
  if (!Array.isArray(result.problems) || result.problems.length === 0) return 'refused without a problem';
  for (const p of result.problems) {
    if (typeof p.path !== 'string' || p.path === '') return `a problem without a path: ${JSON.stringify(p)}`;
    if (typeof p.value !== 'string' || typeof p.reason !== 'string' || p.reason === '') return `a malformed problem: ${JSON.stringify(p)}`;
    // YAML gives a position for syntax errors, the complexity guard and duplicate keys: the reason says the line.
    if (/syntax error|nesting|tokens|indicators|duplicate key/i.test(p.reason) && !/\bline \d+\b/.test(p.reason)) {
      return `a YAML problem without its line: ${JSON.stringify(p)}`;
    }
  }
  return undefined;
}

/** Counts and extremes over the whole run (the chunks run serially, in order, from one seeded generator). */
const run = { files: 0, loaded: 0, refused: 0, onDisk: 0, maxMs: 0, slowest: -1, busyMs: 0 };
const dice = new Dice(prng(SEED));
const warnings: string[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning.message);
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
let heapAtStart = 0;
let peakRssAtStart = 0;

test.before(() => {
  process.on('warning', onWarning);
  gc();
  heapAtStart = heapUsed();
  peakRssAtStart = peakRss();
});
test.after.always(() => process.off('warning', onWarning));

/** Files [from, to) of the run: what is wrong with them (empty: nothing). */
async function fuzz(from: number, to: number, dir: string): Promise<string[]> {
  const failures: string[] = [];
  const started = performance.now();
  for (let i = from; i < to; i++) {
    const text = i % 4 === 3 ? grammarLab(dice) : mutate(dice.pick(SOURCES), dice);
    const t0 = performance.now();
    let result: LoadResult;
    try {
      result = parseLab(text, `fuzz-${i}.yaml`);
      const problem = resultProblem(result);
      if (problem !== undefined) failures.push(`file ${i}: ${problem}\n${text.slice(0, 400)}`);
    } catch (error) {
      failures.push(`file ${i}: threw ${(error as Error).stack ?? String(error)}\n${text.slice(0, 400)}`);
      continue;
    }
    const ms = performance.now() - t0;
    if (ms > run.maxMs) [run.maxMs, run.slowest] = [ms, i];
    if (ms > HANG_MS) failures.push(`file ${i}: took ${ms.toFixed(0)} ms\n${text.slice(0, 400)}`);
    run.files++;
    if (result.ok) run.loaded++;
    else run.refused++;
    if (i % EVERY_FILE_ON_DISK === 0) {
      // Through the file reader too, one byte flipped (maybe no longer UTF-8).
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > 0) bytes[dice.int(bytes.length)] = dice.int(256);
      const path = join(dir, `fuzz-${i}.yaml`);
      writeFileSync(path, bytes);
      try {
        const problem = resultProblem(await loadLab(path));
        if (problem !== undefined) failures.push(`file ${i} on disk: ${problem}`);
      } catch (error) {
        failures.push(`file ${i} on disk: threw ${String(error)}`);
      }
      run.onDisk++;
    }
  }
  run.busyMs += performance.now() - started;
  return failures;
}

for (let from = 0; from < FILES; from += CHUNK) {
  const to = Math.min(FILES, from + CHUNK);
  test.serial(`fuzzed lab files ${from}–${to - 1}: no throw, every refusal has a path (and a line for YAML errors), every loaded lab plans, no file takes 5 s`, async (t) => {
    if (from === 0) t.log(`seed ${SEED} (0x${SEED.toString(16)}); replay with LVSLAB_FUZZ_SEED=${SEED}`);
    const dir = mkdtempSync(join(tmpdir(), 'lvslab-fuzz-'));
    try {
      const failures = await fuzz(from, to, dir);
      t.deepEqual(failures.slice(0, 5), [], `${failures.length} failures (seed ${SEED})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.serial(`after ${FILES} fuzzed files: every one was read, some loaded and some refused, no process warning, peak RSS rose under 256 MiB, under 32 MiB of heap retained`, async (t) => {
  await new Promise((resolve) => setImmediate(resolve)); // process warnings arrive on a later tick
  gc();
  const retained = heapUsed() - heapAtStart;
  const rssRise = peakRss() - peakRssAtStart;
  t.log(`${run.files} files (${run.loaded} loaded, ${run.refused} refused, ${run.onDisk} also from disk) in ${(run.busyMs / 1000).toFixed(1)} s; ` +
    `slowest file ${run.slowest}: ${run.maxMs.toFixed(1)} ms; peak RSS rose ${mib(rssRise)} (from ${mib(peakRssAtStart)}); ` +
    `heap retained after the run ${mib(retained)} (from ${mib(heapAtStart)})`);
  t.is(run.files, FILES);
  t.true(run.loaded > 0 && run.refused > 0, 'both loaded and refused labs were generated');
  t.deepEqual(warnings.slice(0, 3), [], `${warnings.length} process warnings: the loader must not print past its problems`);
  t.true(rssRise < PEAK_RSS_RISE, `peak RSS rose ${mib(rssRise)}`);
  t.true(retained < RETAINED_HEAP, `the run retained ${mib(retained)} of heap`);
});
