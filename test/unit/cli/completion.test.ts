/** `lvslab completion bash`: a script bash and shellcheck accept, that completes each command's own flags, from the parser's table. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bashCompletion } from '../../../daemon/cli/completion.js';
import { completionTable } from '../../../daemon/cli/program.js';

const run = promisify(execFile);
const { commands, programFlags } = completionTable('0.0.0');
const script = bashCompletion('lvslab', commands, programFlags);

/** What bash completes for the words typed so far (the last one is completed). */
async function complete(...words: string[]): Promise<string[]> {
  const { stdout } = await run('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _lvslab_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: process.cwd() });
  return stdout.split('\n').filter((l) => l !== '');
}

test('the script passes shellcheck', async (t) => {
  const child = execFile('shellcheck', ['-s', 'bash', '-'], (error, stdout) => t.log(stdout));
  child.stdin!.end(script);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(code, 0);
});

test('the first word completes to the commands and the program\'s flags', async (t) => {
  t.deepEqual(await complete('lvslab', 'st'), ['status']);
  t.deepEqual(await complete('lvslab', '--v'), ['--version']);
  t.true((await complete('lvslab', '')).includes('completion'));
});

test('after a command, "-" completes only that command\'s flags', async (t) => {
  t.deepEqual(await complete('lvslab', 'up', '--j'), ['--json']);
  t.deepEqual(await complete('lvslab', 'check', '--n'), ['--node']);
  t.deepEqual(await complete('lvslab', 'check', '--j'), [], 'check takes no --json');
  t.deepEqual(await complete('lvslab', 'status', '--a'), ['--api']);
});

test('a word that is not a flag completes as a file name (the lab file)', async (t) => {
  t.deepEqual(await complete('lvslab', 'check', 'labs/se'), ['labs/seed.yaml']);
});

test('a name that would need quoting in the script is refused', (t) => {
  t.throws(() => bashCompletion('lvslab', [{ name: 'up; rm -rf /', flags: [] }], []), { message: /not a plain word/ });
});
