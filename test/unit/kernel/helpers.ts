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

/** What a replayed node prints for each observe command (captured text, or '' for nothing). */
export interface NodeOutputs {
  readonly addr: string;
  readonly routes: string;
  readonly ipvs: string;
  readonly ipsets: string;
  readonly iptables: string;
}

/** The captured director: lvslab0 holding 10.10.0.1 and 10.10.0.2, eth0 a veth, eth1 a dummy; its IPVS, sets, nat and filter rules. */
export const capturedDirector = (): NodeOutputs => ({
  addr: fixture('ip-j-d-addr-ds.json'),
  routes: '[]',
  ipvs: fixture('ipvsadm-S-n.txt'),
  ipsets: fixture('ipset-save.txt'),
  iptables: fixture('iptables-save-nat-ds.txt') + fixture('iptables-save-filter-ds.txt'),
});

/**
 * A fake node that replays `outputs` for every read (ip -j -d addr show, ip -j route show, ipvsadm -S,
 * ipset save, iptables-save; sysctl says 1 for each key) and records every other command: the
 * batches. `fail` makes a command fail like the tool would (exit 1, `stderr`).
 */
export function replayingNode(outputs: NodeOutputs, fail: (argv: readonly string[]) => string | undefined = () => undefined) {
  return fakeRunner((argv) => {
    const stderr = fail(argv);
    if (stderr !== undefined) return { stderr, exitCode: 1 };
    const line = argv.join(' ');
    if (line === 'ip -j -d addr show') return { stdout: outputs.addr };
    if (line === 'ip -j route show') return { stdout: outputs.routes };
    if (line === 'ipvsadm -S -n') return { stdout: outputs.ipvs };
    if (line === 'ipset save') return { stdout: outputs.ipsets };
    if (line === 'iptables-save') return { stdout: outputs.iptables };
    if (argv[0] === 'sysctl' && !argv.includes('-w')) return { stdout: argv.slice(1).map((k) => `${k} = 1\n`).join('') };
    return {};
  });
}

/** The batch commands a fake node ran (everything that is not a read). */
export const writesOf = (calls: readonly Call[]): string[] =>
  calls.map((c) => c.argv.join(' ')).filter((l) => !/^(ip -j |ipvsadm -S|ipset save|iptables-save$|sysctl net)/.test(l));
