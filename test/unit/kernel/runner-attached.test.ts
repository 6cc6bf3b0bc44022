/** runAttached with `output`: the program's stdout and stderr passed on, the first-output hook called once, before them. */
import test from 'ava';
import pino from 'pino';
import { runAttached } from '../../../daemon/kernel/runner.js';

const log = pino({ level: 'silent' });

test('runAttached passes stdout and stderr on and calls onFirstOutput once, before any chunk; the exit code is the program\'s', async (t) => {
  const events: string[] = [];
  const sink = (name: string) => ({ write: (chunk: Uint8Array) => events.push(`${name}:${Buffer.from(chunk).toString()}`) });
  const code = await runAttached(['sh', '-c', 'sleep 0.2; printf out; sleep 0.1; printf err >&2; exit 3'], 10_000, log, {
    onFirstOutput: () => events.push('first output'),
    stdout: sink('stdout'),
    stderr: sink('stderr'),
  });
  t.is(code, 3);
  // the hook first; the two pipes' chunks in either order (a busy event loop may see both ready at once)
  t.is(events[0], 'first output');
  t.deepEqual(events.slice(1).sort(), ['stderr:err', 'stdout:out']);
});

test('runAttached with a silent program never calls onFirstOutput', async (t) => {
  let calls = 0;
  t.is(await runAttached(['true'], 10_000, log, { onFirstOutput: () => calls++, stdout: { write: () => true }, stderr: { write: () => true } }), 0);
  t.is(calls, 0);
});
