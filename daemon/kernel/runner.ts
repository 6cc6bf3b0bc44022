/**
 * The one place that starts programs: argv arrays only (never a shell string), a timeout on every run,
 * and a debug log line with the duration. Everything else gets a Runner injected.
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';
import { ToolError } from './tool-error.js';

export interface RunOptions {
  /** Text written to the program's stdin (a batch for `ipvsadm -R`, `ipset restore`, ...). */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Exit codes that are not failures for this call (e.g. `conntrack -D` exits 1 when nothing matched). */
  readonly okExitCodes?: readonly number[];
  /**
   * The program's nice value (-20 … 19), set as it starts; one that cannot be set (no CAP_SYS_NICE)
   * leaves it at this process's own, with a debug line.
   */
  readonly nice?: number;
}

export interface RunResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** The network namespace every command runs in, or undefined for the current one. */
  readonly netns: string | undefined;
}

export interface RunnerOptions {
  readonly log: Logger;
  readonly defaultTimeoutMs?: number;
  /** Run every command inside this named network namespace (`ip netns exec NAME ...`). */
  readonly netns?: string;
}

export function createRunner(options: RunnerOptions): Runner {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const prefix = options.netns ? ['ip', 'netns', 'exec', options.netns] : [];
  return {
    netns: options.netns,
    async run(argv, runOptions = {}) {
      if (argv.length === 0) throw new Error('runner: empty argv');
      const full = [...prefix, ...argv];
      const [file, ...args] = full as [string, ...string[]];
      const started = performance.now();
      const subprocess = execa(file, args, {
        // stdin: the input when there is one, else nothing at all. An empty input still makes execa
        // set up a stdin stream, which costs a third of a short spawn (scripts/bench-spawn.mjs: in the
        // micro-VM 105 ms → 75 ms a run of /bin/true, against 68 ms for child_process).
        ...(runOptions.input !== undefined ? { input: runOptions.input } : { stdin: 'ignore' as const }),
        timeout: runOptions.timeoutMs ?? defaultTimeoutMs,
        reject: false,
        stripFinalNewline: false,
        env: { LC_ALL: 'C' },
      });
      if (runOptions.nice !== undefined && subprocess.pid !== undefined) {
        try {
          setPriority(subprocess.pid, runOptions.nice);
        } catch (err) {
          options.log.debug({ argv: full, nice: runOptions.nice, err }, 'nice value not set');
        }
      }
      const result = await subprocess;
      const durationMs = Math.round(performance.now() - started);
      const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
      const stdout = typeof result.stdout === 'string' ? result.stdout : '';
      const stderr = typeof result.stderr === 'string' ? result.stderr : '';
      options.log.debug({ argv: full, exitCode, durationMs, inputBytes: runOptions.input?.length ?? 0 }, 'ran');
      const ok = exitCode === 0 || (exitCode !== undefined && (runOptions.okExitCodes ?? []).includes(exitCode));
      if (result.timedOut || !ok) {
        throw new ToolError({
          argv: full,
          exitCode: result.timedOut ? undefined : exitCode,
          stderr,
          durationMs,
          timedOut: Boolean(result.timedOut),
          detail: exitCode === undefined && !result.timedOut ? (result.shortMessage ?? stderr) : undefined,
        });
      }
      return { argv: full, exitCode: exitCode ?? 0, stdout, stderr, durationMs };
    },
  };
}

/**
 * Start a long-running program detached from this process (a node's daemon), its output appended
 * to logFile. Returns its pid. One of the other ways this module starts programs (watchLines, runAttached).
 */
export function startDetached(argv: readonly string[], logFile: string, log: Logger): number {
  const [file, ...args] = argv as [string, ...string[]];
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    log.debug({ argv, pid: child.pid, logFile }, 'started detached');
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** A program streamed line by line (watchLines); stop() ends it and resolves once it has exited. */
export interface Watch {
  /** Resolves once the program runs (a watcher that has not started yet would miss the first events). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start a program that reports events as lines (`ip monitor address`) and hand each stdout line to
 * onLine as it arrives, until stop() or `timeoutMs` (then it is killed). Its stderr goes to the debug log.
 */
export function watchLines(argv: readonly string[], onLine: (line: string) => void, log: Logger, timeoutMs: number): Watch {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  log.debug({ argv, pid: child.pid, timeoutMs }, 'watching');
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (chunk: Buffer) => log.debug({ argv, stderr: chunk.toString() }, 'watch stderr'));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new Error(`could not start ${argv.join(' ')}: ${err.message}`)));
  });
  return {
    started,
    async stop() {
      clearTimeout(timer);
      child.kill();
      await exited;
    },
  };
}

/** Where runAttached's program writes, and who hears of its first output. */
export interface AttachedOutput {
  /** Called once, before the first chunk of output (stdout or stderr) is passed on. */
  readonly onFirstOutput: () => void;
  readonly stdout?: { write(chunk: Uint8Array): unknown };
  readonly stderr?: { write(chunk: Uint8Array): unknown };
}

/**
 * Run a program with this process's stdin/stdout/stderr (its output streams to the user), with a
 * timeout. Returns its exit code. Used to hand a whole command to the micro-VM. With `output`, its
 * stdout and stderr are passed on chunk by chunk (to this process's by default), after
 * output.onFirstOutput (the caller's progress line is cleared before the program speaks).
 */
export async function runAttached(argv: readonly string[], timeoutMs: number, log: Logger, output?: AttachedOutput): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  let result;
  if (output === undefined) {
    result = await execa(file, args, { stdio: 'inherit', timeout: timeoutMs, reject: false });
  } else {
    const child = execa(file, args, { stdio: ['inherit', 'pipe', 'pipe'], buffer: false, timeout: timeoutMs, reject: false });
    let first = true;
    const pass = (to: { write(chunk: Uint8Array): unknown }) => (chunk: Uint8Array) => {
      if (first) output.onFirstOutput();
      first = false;
      to.write(chunk);
    };
    child.stdout.on('data', pass(output.stdout ?? process.stdout));
    child.stderr.on('data', pass(output.stderr ?? process.stderr));
    result = await child;
  }
  log.debug({ argv, exitCode: result.exitCode, durationMs: Math.round(performance.now() - started) }, 'ran attached');
  if (result.timedOut) throw new ToolError({ argv, exitCode: undefined, stderr: '', durationMs: timeoutMs, timedOut: true });
  return typeof result.exitCode === 'number' ? result.exitCode : 1;
}
