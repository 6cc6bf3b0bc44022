/** Shared by the kernel tool tests: the captured fixtures and a fake Runner that replays them. */
import { readFileSync } from 'node:fs';
import type { RunOptions, RunResult, Runner } from '../../../daemon/kernel/runner.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';

const DIR = 'test/fixtures/tools';

/** A captured file, read from the repo root (tests run with cwd = repo root). */
export const fixture = (name: string): string => readFileSync(`${DIR}/${name}`, 'utf8');

/** A `.stderr` fixture split into what the tool said and the "exit N" line the capture script appended. */
export function capturedStderr(name: string): { stderr: string; exitCode: number } {
  const text = fixture(`${name}.stderr`);
  const exit = /^exit (\d+)$/m.exec(text);
  return { stderr: text.replace(/^exit \d+\n?$/m, ''), exitCode: exit ? Number(exit[1]) : 0 };
}

/** The ToolError the real Runner throws for a captured failure. */
export function capturedError(name: string, argv: readonly string[]): ToolError {
  const { stderr, exitCode } = capturedStderr(name);
  return new ToolError({ argv, exitCode, stderr, durationMs: 1, timedOut: false });
}

export interface Reply { readonly stdout?: string; readonly stderr?: string; readonly exitCode?: number }
export interface Call { readonly argv: readonly string[]; readonly options: RunOptions | undefined }

/**
 * A Runner that records every call and answers with `reply(argv)`. Like the real one it throws a
 * ToolError when the exit code is not 0 and not in options.okExitCodes; a thrown reply is rethrown.
 */
export function fakeRunner(reply: (argv: readonly string[]) => Reply = () => ({})) {
  const calls: Call[] = [];
  const runner = {
    netns: undefined,
    async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
      calls.push({ argv: [...argv], options });
      const { stdout = '', stderr = '', exitCode = 0 } = reply(argv);
      if (exitCode !== 0 && !(options?.okExitCodes ?? []).includes(exitCode)) {
        throw new ToolError({ argv, exitCode, stderr, durationMs: 1, timedOut: false });
      }
      return { argv, exitCode, stdout, stderr, durationMs: 1 };
    },
  } satisfies Runner;
  return { runner, calls };
}

/** Replies with a captured failure (stdout, stderr and exit code of the fixture). */
export const replayFailure = (name: string): Reply => ({ stdout: fixture(name), ...capturedStderr(name) });
