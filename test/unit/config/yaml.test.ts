/** YAML-level hostility: odd roots, syntax errors, duplicate keys, alias bombs, huge and deep inputs. */
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import { SEED_TEXT, fixture, hasProblem, problemsOf, seedWith } from './helpers.js';

const ROOT = 'expected a mapping with keys lab, nodes';

test('refuses a list root', (t) => {
  const problems = problemsOf(t, '- lab: seed\n- nodes: {}\n');
  t.is(problems.length, 1);
  hasProblem(t, problems, '(root)', `the document root is a list; ${ROOT}`);
});

test('refuses a scalar root', (t) => {
  const problems = problemsOf(t, 'just a string\n');
  t.is(problems.length, 1);
  hasProblem(t, problems, '(root)', 'the document root is a string scalar');
});

test('refuses a number root', (t) => {
  hasProblem(t, problemsOf(t, '42'), '(root)', 'the document root is a number scalar');
});

test('refuses an empty file', (t) => {
  const problems = problemsOf(t, '');
  t.is(problems.length, 1);
  hasProblem(t, problems, '(root)', 'the file is empty');
});

test('refuses a file of comments only', (t) => {
  hasProblem(t, problemsOf(t, '# nothing here\n\n'), '(root)', 'the file is empty');
});

test('refuses a YAML null document', (t) => {
  hasProblem(t, problemsOf(t, '~\n'), '(root)', 'the file is empty');
});

test('reports a YAML syntax error once, with its line', (t) => {
  const problems = problemsOf(t, seedWith('entries: [192.168.113.100]', 'entries: [192.168.113.100'));
  t.is(problems.length, 1);
  // the parser finds the unclosed list at the next line that cannot continue it
  const line = SEED_TEXT.split('\n').indexOf('    match: src') + 1;
  const found = hasProblem(t, problems, '(yaml)', `YAML syntax error at line ${line}, column 5`);
  t.regex(found?.reason ?? '', /line \d+, column \d+/);
});

test('reports an unclosed quote (found at the end of the file)', (t) => {
  const problems = problemsOf(t, 'lab: seed\nnodes:\n  ds: { role: "director }\n');
  t.is(problems.length, 1);
  const found = hasProblem(t, problems, '(yaml)', 'YAML syntax error at line 4, column 1: Missing closing "quote');
  t.is(found?.value, '(end of file)');
});

test('refuses several documents in one file', (t) => {
  const problems = problemsOf(t, `${SEED_TEXT}---\nlab: other\n`);
  t.is(problems.length, 1);
  hasProblem(t, problems, '(yaml)', 'multiple documents');
});

test('reports a duplicate key with the line of the first one', (t) => {
  const problems = problemsOf(t, seedWith('    port: 8410\n    protocol: tcp\n    scheduler', '    port: 8410\n    port: 8411\n    protocol: tcp\n    scheduler'));
  hasProblem(t, problems, 'virtualServers[0].port', 'duplicate key: "port" is already defined at line 14');
});

test('reports a duplicate node name', (t) => {
  const problems = problemsOf(t, seedWith('  rs2:', '  rs1:'));
  hasProblem(t, problems, 'nodes.rs1', 'duplicate key: "rs1" is already defined at line 9');
});

/**
 * CPU time (user + system, ms) this process spent in fn: unlike wall-clock time it does not grow when
 * other processes load the machine, so a bound on it is a bound on the work the guard did.
 */
function cpuMsOf<T>(fn: () => T): { result: T; cpuMs: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

test('refuses an alias bomb in under 2 s of CPU', (t) => {
  const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, fixture('bomb.yaml')));
  t.true(cpuMs < 2000, `${cpuMs} ms of CPU`);
  hasProblem(t, problems, '(yaml)', 'too many alias expansions (more than 100)');
});

test('accepts a few ordinary aliases', (t) => {
  const aliased = `${SEED_TEXT}  - { name: other, entries: &list [192.168.113.1] }\n  - { name: third, entries: *list }\n`;
  const result = parseLab(aliased, 'test.yaml');
  t.true(result.ok, JSON.stringify(result));
});

test('survives a self-referencing alias', (t) => {
  const problems = problemsOf(t, `${SEED_TEXT}extra: &loop { again: *loop }\n`);
  hasProblem(t, problems, 'extra', 'unknown key');
});

test('refuses a 33 MB input before parsing, in under 500 ms of CPU, naming the 32 MiB limit and what to do', (t) => {
  const text = `lab: seed\nnodes:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(500_000)}`;
  t.true(text.length > 32 * 1024 * 1024);
  const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, text));
  t.true(cpuMs < 500, `${cpuMs} ms of CPU`);
  t.is(problems.length, 1);
  hasProblem(t, problems, '(file)', 'lab files are limited to 33554432 bytes (32 MiB), refusing to parse it: move blocklist entries to an entriesFile');
  t.true(problems[0]?.reason.includes(String(text.length)));
});

test('counts bytes, not characters, against the limit', (t) => {
  const text = `lab: seed\nx: "${'é'.repeat(17_000_000)}"\n`;
  t.true(text.length < 32 * 1024 * 1024);
  hasProblem(t, problemsOf(t, text), '(file)', `the lab file is ${Buffer.byteLength(text)} bytes`);
});

test('refuses deeply nested flow collections in under 1 s of CPU', (t) => {
  const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, `lab: seed\nx: ${'['.repeat(400_000)}${']'.repeat(400_000)}\n`));
  t.true(cpuMs < 1000, `${cpuMs} ms of CPU`);
  hasProblem(t, problems, '(yaml)', 'YAML nesting deeper than 64 levels at line 2');
});

test('refuses a file of too many tiny items (a token per byte) in under 1 s of CPU', (t) => {
  const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, `lab: seed\nx: [${'1,'.repeat(400_000)}]\n`));
  t.true(cpuMs < 1000, `${cpuMs} ms of CPU`);
  t.is(problems.length, 1);
  hasProblem(t, problems, '(yaml)', 'the file has more than 410008 YAML tokens, the limit for its 800016 bytes (10000 + 0.5 per byte');
  hasProblem(t, problems, '(yaml)', '(reached at line 2); refusing to parse it: write the lab as JSON');
});

/** Each junk the parser paid for per token, and the guard that refuses it before the parser runs. */
const JUNK: readonly (readonly [string, string])[] = [
  ['"a"', 'YAML syntax error at line 2: two values with nothing between them'],
  ['"a" ', 'YAML syntax error at line 2: two values with nothing between them'],
  ['&a ', 'YAML tokens, the limit for its'],
  ['!t ', 'YAML tokens, the limit for its'],
  ['{a: 1}', 'YAML tokens, the limit for its'],
];

test('refuses junk that would make the YAML parser explode, each in under 1 s of CPU', (t) => {
  for (const [junk, reason] of JUNK) {
    const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, `lab: seed\nx: ${junk.repeat(Math.floor(1_000_000 / junk.length))}\n`));
    t.true(cpuMs < 1000, `${junk}: ${cpuMs} ms of CPU`);
    hasProblem(t, problems, '(yaml)', reason);
  }
});

test('refuses the same junk at the 32 MiB limit, each in under 3 s of CPU, by the absolute token limit or a syntax error', (t) => {
  for (const [junk, reason] of JUNK) {
    const text = `lab: seed\nx: ${junk.repeat(Math.floor((32 * 1024 * 1024 - 100) / junk.length))}\n`;
    const { result: problems, cpuMs } = cpuMsOf(() => problemsOf(t, text));
    t.true(cpuMs < 3000, `${junk}: ${cpuMs} ms of CPU`);
    hasProblem(t, problems, '(yaml)', reason.startsWith('YAML syntax') ? reason : 'the file has more than the limit of 2500000 YAML tokens');
  }
});

test('refuses block nesting written by indentation deeper than 256 columns', (t) => {
  const text = `lab: seed\nx:\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}- \n`).join('')}`;
  hasProblem(t, problemsOf(t, text), '(yaml)', 'is indented 257 columns, more than 256');
});

test('refuses block nesting written on one line', (t) => {
  hasProblem(t, problemsOf(t, `lab: seed\nx: ${'? '.repeat(40)}a\n`), '(yaml)', 'more than 32 nested block indicators (- ? :) on line 2');
  hasProblem(t, problemsOf(t, `${'- '.repeat(40)}a\n`), '(yaml)', 'on line 1');
});

test('accepts a big but sane file (12,000 blocklist entries) in under 5 s of CPU', (t) => {
  const entries = Array.from({ length: 12_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(', ');
  const { result, cpuMs } = cpuMsOf(() => parseLab(`${SEED_TEXT}  - { name: big, type: hash:ip, entries: [${entries}] }\n`, 'test.yaml'));
  t.true(result.ok, result.ok ? '' : JSON.stringify(result.problems.slice(0, 3)));
  t.true(cpuMs < 5000, `${cpuMs} ms of CPU`);
});

test('YAML 1.2 hex and decimal masquerade marks are the same', (t) => {
  const hex = parseLab(seedWith('lab: seed', 'lab: seed\nmasqueradeMark: 0x8000'), 'a.yaml');
  const dec = parseLab(seedWith('lab: seed', 'lab: seed\nmasqueradeMark: 32768'), 'b.yaml');
  t.true(hex.ok && dec.ok);
  if (hex.ok && dec.ok) t.is(hex.lab.masqueradeMark, dec.lab.masqueradeMark);
});

test('does not let __proto__ keys reach the prototype', (t) => {
  const problems = problemsOf(t, seedWith('lab: seed', 'lab: seed\n__proto__: { polluted: true }'));
  hasProblem(t, problems, '__proto__', 'unknown key');
  t.is((Object.prototype as Record<string, unknown>)['polluted'], undefined);
});

test('a collection used as a key is one unknown-key problem, and yaml prints no process warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);
  process.on('warning', onWarning);
  try {
    const problems = problemsOf(t, `${SEED_TEXT}? [a, b]\n: 1\n`);
    t.is(problems.length, 1, JSON.stringify(problems));
    t.regex(problems[0]?.reason ?? '', /^unknown key; expected one of: lab, prefix/);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  t.deepEqual(warnings, []);
});
