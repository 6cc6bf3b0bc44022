/**
 * End-to-end helpers: run real programs (through the project's runner) and the CLI as a user would.
 * These tests need root and a kernel with IPVS: scripts/test.sh runs them in the micro-VM otherwise.
 */
import pino from 'pino';
import { createRunner } from '../../daemon/kernel/runner.js';

import { cliProgram, packageRoot } from '../../daemon/paths.js';

export const root = `${packageRoot}/`;
export const cli = cliProgram;
const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 300_000 });

export interface Ran {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Runs a program (killed after timeoutMs, default 300 s); any exit code is returned, not thrown. */
export async function run(argv: readonly string[], input?: string, timeoutMs?: number): Promise<Ran> {
  const all = Array.from({ length: 256 }, (_, i) => i);
  return runner.run(argv, { okExitCodes: all, ...(input !== undefined ? { input } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

export const inNs = (ns: string, argv: readonly string[], input?: string, timeoutMs?: number): Promise<Ran> =>
  run(['ip', 'netns', 'exec', ns, ...argv], input, timeoutMs);

export const lvslab = (...args: string[]): Promise<Ran> => run([process.execPath, cli, ...args]);

/** Fails loudly with the command's output when it did not succeed. */
export async function ok(ran: Promise<Ran>): Promise<Ran> {
  const r = await ran;
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** What the issue asks to be identical before `up` and after `down`, in the current namespace. */
export async function hostSnapshot(): Promise<Record<string, string>> {
  const text = async (argv: string[]) => (await ok(run(argv))).stdout;
  return {
    netns: await text(['ip', 'netns', 'list']),
    links: await text(['ip', '-o', 'link']),
    iptables: withoutComments(await text(['iptables-save'])),
    ipsets: await text(['ipset', 'list', '-n']),
    ipvs: await text(['ipvsadm', '-S', '-n']),
  };
}

/** iptables-save without its "# Generated/Completed on <date>" lines. */
export const withoutComments = (save: string): string => save.split('\n').filter((l) => !l.startsWith('#')).join('\n');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns true or the time is up; returns how long it took (ms), or throws. */
export async function until(what: string, timeoutMs: number, fn: () => Promise<boolean>, everyMs = 200): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await fn()) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
