/** The daemon's last results, written atomically for `lvslab up` (convergence) and `lvslab status`. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReconcileResult } from './reconcile.js';

export interface DaemonState {
  readonly lab: string;
  readonly node: string;
  readonly pid: number;
  readonly runs: number;
  /** True when the last run ended with nothing left to change. */
  readonly converged: boolean;
  readonly last?: ReconcileResult;
  /** The last run that changed something (what drift repair did). */
  readonly lastChange?: ReconcileResult & { readonly at: string };
  /** Problems of the last reload that was refused (the previous lab stays in force). */
  readonly reloadProblems?: readonly string[];
  readonly updatedAt: string;
}

/** The write under way per path: the next one starts after it (in call order). */
const writing = new Map<string, Promise<void>>();
let writes = 0;

/**
 * Writes the state atomically (a temporary file renamed over it). Writes to one path run one after
 * the other, in call order, each with a temporary file of its own: a refused reload and a run ending
 * together once shared one temporary name, and the second rename failed with ENOENT (the run's end
 * then threw, and its result was not recorded). The last call's state is what the file holds.
 */
export function writeState(path: string, state: DaemonState): Promise<void> {
  const text = JSON.stringify(state, null, 2);
  const tmp = `${path}.${process.pid}.${++writes}.tmp`;
  const write = async () => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, path);
  };
  const next = (writing.get(path) ?? Promise.resolve()).then(write, write);
  const settled = next.catch(() => undefined);
  writing.set(path, settled);
  void settled.then(() => {
    if (writing.get(path) === settled) writing.delete(path);
  });
  return next;
}

export async function readState(path: string): Promise<DaemonState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DaemonState;
  } catch {
    return undefined;
  }
}
