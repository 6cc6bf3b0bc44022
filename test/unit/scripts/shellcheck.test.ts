/** shellcheck is clean on every shell script of the project (found by name and by shebang). */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createRunner } from '../../../daemon/kernel/runner.js';

const SKIP = new Set(['node_modules', 'dist', '.git', '.vagrant', '.microvm']);

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = dir === '.' ? name : join(dir, name);
    if (SKIP.has(name)) return [];
    if (statSync(path).isDirectory()) return shellScripts(path);
    const head = readFileSync(path, 'utf8').slice(0, 64);
    return path.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(head) ? [path] : [];
  });
}

test('shellcheck finds nothing in any shell script', async (t) => {
  const scripts = shellScripts('.');
  for (const expected of ['scripts/provision.sh', 'scripts/test.sh', 'scripts/microvm.sh', '.ci/run']) t.true(scripts.includes(expected), expected);
  const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 120_000 });
  const r = await runner.run(['shellcheck', '-x', '--format=gcc', ...scripts], { okExitCodes: [1] });
  t.is(r.stdout, '', `shellcheck on ${scripts.length} scripts:\n${r.stdout}`);
  t.is(r.exitCode, 0);
  t.log(`${scripts.length} scripts clean: ${scripts.join(' ')}`);
});
