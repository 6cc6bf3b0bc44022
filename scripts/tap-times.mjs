#!/usr/bin/env node
// Copies a TAP stream from stdin to stdout unchanged and, at its end, writes to the file named by its
// argument how long each test took: the time from the previous result line (or the stream's start)
// to the test's own `ok`/`not ok` line, slowest first, then the total. The tests run one at a time
// (ava.e2e.config.js), so these are their durations; the first one also holds the VM's boot.
//   ... | node scripts/tap-times.mjs OUT > e2e.tap
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: tap-times.mjs OUTFILE (TAP on stdin)\n');
  process.exit(2);
}
const started = Date.now();
let previous = started;
const times = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  process.stdout.write(`${line}\n`);
  const result = /^(not ok|ok) \d+ - (.*)$/.exec(line);
  if (!result) continue;
  const now = Date.now();
  times.push({ s: (now - previous) / 1000, title: `${result[1] === 'ok' ? '' : '(failed) '}${result[2]}` });
  previous = now;
}
const total = (Date.now() - started) / 1000;
const rows = [...times].sort((a, b) => b.s - a.s).map((t) => `${t.s.toFixed(0).padStart(6)} s  ${t.title.slice(0, 110)}`);
writeFileSync(out, `${rows.join('\n')}\n${total.toFixed(0).padStart(6)} s  in all (${times.length} tests, the VM's boot and shutdown included)\n`);
