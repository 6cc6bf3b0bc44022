import test from 'ava';
import { BatchError } from '../../../daemon/kernel/batch.js';
import { ToolError, runFailure } from '../../../daemon/kernel/tool-error.js';

const toolError = (init: Partial<ConstructorParameters<typeof ToolError>[0]> = {}) =>
  new ToolError({ argv: ['ipset', 'restore', '-exist'], exitCode: 1, stderr: 'ipset v7.19: Error in line 1: 192.0.2.77 bad\n', durationMs: 3, timedOut: false, ...init });

test('a failed batch: program, argv and exit code; neither its stderr nor the batch', (t) => {
  const e = new BatchError(toolError(), 'add LVSLAB-blacklist 192.0.2.77\n', 'batch line 1:\n> 1: add LVSLAB-blacklist 192.0.2.77');
  const failure = runFailure(e);
  t.deepEqual(failure, { reason: "ipset exited 1; its stderr is in the daemon's log", argv: ['ipset', 'restore', '-exist'], exitCode: 1 });
  t.false(JSON.stringify(failure).includes('192.0.2.77'));
});

test('a tool that timed out, one not installed', (t) => {
  t.deepEqual(runFailure(toolError({ exitCode: undefined, timedOut: true })), { reason: "ipset timed out; its stderr is in the daemon's log", argv: ['ipset', 'restore', '-exist'], timedOut: true });
  t.is(runFailure(toolError({ exitCode: undefined })).reason, "ipset could not start (not installed?); its stderr is in the daemon's log");
});

test('another error: its first line, at most 160 characters', (t) => {
  t.deepEqual(runFailure(new Error('node x is not in lab y\nmore detail')), { reason: 'node x is not in lab y' });
  t.is(runFailure('x'.repeat(400)).reason, `${'x'.repeat(160)}…`);
});
