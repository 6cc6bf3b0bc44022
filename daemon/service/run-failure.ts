/**
 * A failed reconcile as the status API shows it: which program, how it ended, a short reason — never
 * the tool's stderr or the batch it was given (they can hold a blocklist's entries; the daemon's log
 * has them). Pure, plus a kernel wrapper that keeps the error a run failed with, as data.
 */
import type { NodeKernel } from '../kernel/node-kernel.js';
import { ToolError } from '../kernel/tool-error.js';
import type { RunFailure } from '../cli/status-view.js';

/** Longest reason taken from an error that is not a tool's. */
const REASON_CHARS = 160;

/** `e` (a ToolError, another Error, or reconcile's message) as a RunFailure. */
export function runFailure(e: unknown): RunFailure {
  if (e instanceof ToolError) {
    const [program = '?'] = e.argv;
    const how = e.timedOut ? 'timed out' : e.notInstalled ? 'could not start (not installed?)' : `exited ${e.exitCode}`;
    return {
      reason: `${program} ${how}; its stderr is in the daemon's log`, argv: [...e.argv],
      ...(e.exitCode === undefined ? {} : { exitCode: e.exitCode }), ...(e.timedOut ? { timedOut: true } : {}),
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split('\n', 1)[0] ?? '';
  return { reason: first.length > REASON_CHARS ? `${first.slice(0, REASON_CHARS)}…` : first };
}

/** `kernel` whose methods keep the last error they threw (`failure()`), for runFailure. */
export function recordingKernel(kernel: NodeKernel): { kernel: NodeKernel; failure(): unknown } {
  let failed: unknown;
  const keep = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await f(...args);
    } catch (e) {
      failed = e;
      throw e;
    }
  };
  return {
    kernel: { observe: keep(kernel.observe), connections: keep(kernel.connections), loadModules: keep(kernel.loadModules), apply: keep(kernel.apply) } satisfies NodeKernel,
    failure: () => failed,
  };
}

/** The failure of a failed result: the kernel's error when it is the one the run failed with, else its message. */
export function failureOf(error: string, recorded: unknown): RunFailure {
  return recorded instanceof Error && recorded.message === error ? runFailure(recorded) : runFailure(error);
}
