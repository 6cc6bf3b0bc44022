/** What every CLI command needs: the lab (from a file or the running lab), a logger, exit codes. */
import type { Logger } from 'pino';
import { formatProblems, loadLab } from '../config/load.js';
import type { LabConfig } from '../config/types.js';
import { readRecord } from '../lab/namespace-lab.js';
import { labNodeAccess, notUpHere, type LabAccessHere } from '../lab/node-access.js';
import { packageRoot } from '../paths.js';
import { readHolders, withMasterFirst } from '../ha/holders.js';
import { NODE_LINK } from '../lab/topology.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** A failure the CLI reports as one message and an exit code (no stack trace). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
  }
}

export const defaultLabPath = join(packageRoot, 'labs/seed.yaml');

/** The lab of a node installed as a service (scripts/provision.sh), unless LVSLAB_CONFIG says another. */
export const installedLabPath = (): string => process.env.LVSLAB_CONFIG || '/etc/lvslab/lab.yaml';

/**
 * The lab named on the command line, else the one-box lab running here, else (not for `up`) the lab of
 * this machine's service, else (for `up`) the seed lab.
 */
export async function resolveLab(path: string | undefined, fallbackToSeed: boolean): Promise<{ lab: LabConfig; path: string }> {
  const installed = !fallbackToSeed && existsSync(installedLabPath()) ? installedLabPath() : undefined;
  const chosen = path ?? (await readRecord())?.config ?? installed ?? (fallbackToSeed ? defaultLabPath : undefined);
  if (!chosen) throw new CliError('no lab file given and no lab is running here (try: lvslab up [LAB.yaml])', EXIT.badInput);
  const loaded = await loadLab(chosen);
  if (!loaded.ok) throw new CliError(formatProblems(chosen, loaded.problems), EXIT.badInput);
  return { lab: loaded.lab, path: chosen };
}

/**
 * The lab's nodes as this machine reaches them, for a command that reads them (verify, doctor, trace):
 * refused (exit 1) where the lab is not up, rather than reading this machine as if it were every node.
 */
export async function upLabAccess(lab: LabConfig, log: Logger): Promise<LabAccessHere> {
  const access = await labNodeAccess(lab, log);
  if (access.presence === 'absent') throw new CliError(notUpHere(lab), EXIT.failed);
  return access;
}

/**
 * upLabAccess, and the lab as the commands that read "the director" must see it: in an HA lab the
 * director that holds the floating addresses now first (the one the client's requests cross). In the
 * one-box lab that is read from the directors' namespaces; refused when no single director holds them
 * (a verify or trace would blame the wrong one).
 */
export async function upLabAsItRuns(lab: LabConfig, log: Logger): Promise<{ lab: LabConfig; access: LabAccessHere }> {
  const access = await upLabAccess(lab, log);
  if (lab.ha === undefined || access.presence !== 'namespaces') return { lab, access };
  const holders = await readHolders(lab, (node) => access.runnerFor(node), NODE_LINK);
  if (!holders.ok) throw new CliError(`lab ${lab.lab}: keepalived's floating addresses are not on exactly one director: ${holders.reason}`, EXIT.failed);
  return { lab: withMasterFirst(lab, holders.master), access };
}

export interface CliContext {
  readonly log: Logger;
  /** What a command reports (stdout). */
  readonly out: (line: string) => void;
  /** A failure, in words (stderr): `ds: FAILED after 62 ms: …`. */
  readonly err: (line: string) => void;
}
