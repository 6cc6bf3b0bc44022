/**
 * Loaded by ava into each unit-test worker before its tests (package.json "ava.require"). ava's TAP
 * reporter writes an uncaught exception's (or unhandled rejection's) location as the second line of its stack; for an error
 * whose stack has no second line (or no stack), that field is undefined, js-yaml refuses it
 * ("unacceptable kind of an object to dump [object Undefined]") and the reporter crashes before it
 * names the failure: that hid a failing unit test in a CI run. Such an error gets a placeholder frame
 * here, so that it is reported like any other.
 */
function giveAFrame(error: unknown): void {
  if (!(error instanceof Error)) return;
  const stack = typeof error.stack === 'string' ? error.stack : `${error.name}: ${error.message}`;
  if (!stack.includes('\n')) error.stack = `${stack}\n    at (no stack frames: given this line by test/unit/worker-setup.ts)`;
}
process.on('uncaughtExceptionMonitor', giveAFrame);
// ava's own listener reports the rejection after this one, which only mends the stack
process.prependListener('unhandledRejection', giveAFrame);
