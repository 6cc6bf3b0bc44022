// What one short program costs to run, by way of spawning: execa as daemon/kernel/runner.ts calls it,
// execa with fewer features, and node:child_process. Prints the median and range of N runs of
// /bin/true for each, side by side. Run it where it matters: scripts/microvm.sh -- node scripts/bench-spawn.mjs
import { execFile } from 'node:child_process';
import { execa } from 'execa';

const n = Number(process.argv[2] ?? 30);
const ways = {
  'execa (runner options)': () => execa('/bin/true', [], { input: '', timeout: 30_000, reject: false, stripFinalNewline: false, env: { LC_ALL: 'C' } }),
  'execa (stdin ignored, no input)': () => execa('/bin/true', [], { stdin: 'ignore', timeout: 30_000, reject: false, stripFinalNewline: false, env: { LC_ALL: 'C' } }),
  'child_process.execFile': () => new Promise((resolve) => execFile('/bin/true', [], { timeout: 30_000, env: { ...process.env, LC_ALL: 'C' } }, () => resolve())),
};
const rows = [];
for (const [name, run] of Object.entries(ways)) {
  await run(); // warm-up
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  rows.push([name, ms[Math.floor(n / 2)], ms[0], ms[n - 1]]);
}
const base = rows.at(-1)[1];
for (const [name, median, min, max] of rows) {
  console.log(`${name.padEnd(34)} median ${median.toFixed(1).padStart(7)} ms  (min ${min.toFixed(1)}, max ${max.toFixed(1)})  ×${(median / base).toFixed(2)} of child_process`);
}
