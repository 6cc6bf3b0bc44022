/**
 * Small helpers shared by every tool folder (ipvs, ipset, iptables, ip, sysctl, conntrack): splitting
 * tool output into lines, joining batch lines, and running one batch through a Runner with an error
 * that shows which part of the batch failed.
 */
import type { Runner } from './runner.js';
import { ToolError } from './tool-error.js';

/** Non-empty lines of tool output, trailing whitespace removed. */
export const textLines = (text: string): string[] =>
  text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');

/** Batch text: one line each, newline-terminated; '' when there are no lines. */
export const joinLines = (lines: readonly string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

/** The first `count` lines of a batch, numbered. */
export function headOf(batch: string, count = 20): string {
  const lines = batch.split('\n').filter((l) => l !== '');
  const shown = lines.slice(0, count).map((l, i) => `  ${i + 1}: ${l}`);
  const more = lines.length > count ? [`  ... (${lines.length - count} more lines)`] : [];
  return ['batch:', ...shown, ...more].join('\n');
}

/** Line `lineNo` (1-based) of a batch with `radius` lines around it, numbered, the line itself marked. */
export function excerptAround(batch: string, lineNo: number, radius = 2): string {
  const lines = batch.replace(/\n$/, '').split('\n');
  const from = Math.max(1, lineNo - radius);
  const to = Math.min(lines.length, lineNo + radius);
  const shown: string[] = [];
  for (let n = from; n <= to; n++) shown.push(`${n === lineNo ? '>' : ' '} ${n}: ${lines[n - 1] ?? ''}`);
  return [`batch line ${lineNo}:`, ...shown].join('\n');
}

/** How to point at the failing part of a batch, from the tool's stderr. */
export type Explain = (stderr: string, batch: string) => string;

/** Explains with the line number the tool prints (first capture group of `pattern`), else the batch head. */
export const explainAtLine = (pattern: RegExp): Explain => (stderr, batch) => {
  const n = Number(pattern.exec(stderr)?.[1]);
  return Number.isInteger(n) && n > 0 ? excerptAround(batch, n) : headOf(batch);
};

/** For tools that do not say which line failed. */
export const explainWithHead: Explain = (_stderr, batch) => headOf(batch);

/** A failed batch: still a ToolError (so isBusy / isNotExist work on it), its message shows the batch. */
export class BatchError extends ToolError {
  readonly batch: string;

  constructor(cause: ToolError, batch: string, explanation: string) {
    super({ argv: cause.argv, exitCode: cause.exitCode, stderr: cause.stderr, durationMs: cause.durationMs, timedOut: cause.timedOut });
    this.name = 'BatchError';
    this.batch = batch;
    this.message = `${cause.message}\nstderr:\n${cause.stderr.trimEnd()}\n${explanation}`;
  }
}

/**
 * A batch's hang bound: the runner's usual 30 s, plus 5 ms a line. A lab of 10,000 virtual servers × 2
 * real servers is a 30,000-line `ipvsadm -R` that took 20.9 s bare in the micro-VM; under the flat 30 s
 * lvslab's own apply was killed after 4,424 of its 20,000 destinations (issue 13). A bound, not an
 * expectation: a batch that takes long but finishes is not a failure.
 */
export const BATCH_TIMEOUT_BASE_MS = 30_000;
export const BATCH_TIMEOUT_PER_LINE_MS = 5;
export const batchTimeoutMs = (lines: number): number => BATCH_TIMEOUT_BASE_MS + lines * BATCH_TIMEOUT_PER_LINE_MS;

/** Words of a batch line that holds nothing a shell-like reader would treat specially (no quotes, backslashes, tabs). */
const PLAIN_LINE = /^[^\s'"\\]+( [^\s'"\\]+)*$/;

/**
 * Runs one batch on stdin, bounded by batchTimeoutMs. Nothing is spawned for an empty batch (returns
 * 0); otherwise returns the number of lines sent. A ToolError becomes a BatchError explained by `explain`.
 *
 * `oneLine`: for a tool whose batch lines are its own command line (an `ipvsadm -R` line is ipvsadm's
 * arguments), the program a batch of one plain line runs as, with the line's words as arguments and no
 * stdin stream (which costs a third of a short spawn: runner.ts). A reload's endpoint removal and a
 * health transition's weight are one line.
 */
export async function runBatch(runner: Runner, argv: readonly string[], batch: string, explain: Explain, oneLine?: readonly string[]): Promise<number> {
  if (batch === '') return 0;
  const lines = batch.split('\n').filter((l) => l !== '');
  const single = oneLine !== undefined && lines.length === 1 && PLAIN_LINE.test(lines[0]!) ? [...oneLine, ...lines[0]!.split(' ')] : undefined;
  try {
    await (single ? runner.run(single) : runner.run(argv, { input: batch, timeoutMs: batchTimeoutMs(lines.length) }));
  } catch (e) {
    if (e instanceof ToolError) throw new BatchError(e, batch, explain(e.stderr, batch));
    throw e;
  }
  return lines.length;
}
