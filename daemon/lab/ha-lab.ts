/**
 * keepalived in the one-box HA lab: one keepalived per director, started as a process inside the
 * director's namespace (as `up` starts lvslabd there) with the configuration lvslab writes for it,
 * and a wait until exactly one director holds the floating addresses.
 */
import { accessSync, constants } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig } from '../config/types.js';
import { directorsOf, keepalivedConf } from '../ha/keepalived-conf.js';
import { readHolders, type Holders } from '../ha/holders.js';
import { startDetached, type Runner } from '../kernel/runner.js';
import { netnsName } from '../plan/names.js';
import { NODE_LINK } from './topology.js';
import { labRunDir } from './namespace-lab.js';

/** The absolute path of `program` on PATH (keepalived runs track scripts by absolute path only). */
export function onPath(program: string, path = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string {
  for (const dir of path.split(delimiter).filter((d) => d.startsWith('/'))) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${program} is not on PATH (${path}): install it (apt-get install ${program})`);
}

export const keepalivedFiles = (lab: string, node: string) => {
  const dir = labRunDir(lab);
  return {
    conf: join(dir, `${node}.keepalived.conf`),
    log: join(dir, `${node}.keepalived.log`),
    pid: join(dir, `${node}.keepalived.pid`),
    vrrpPid: join(dir, `${node}.keepalived-vrrp.pid`),
  };
};

/** Writes each director's keepalived.conf and starts its keepalived; returns the pids by director. */
export async function startKeepalived(lab: LabConfig, log: Logger): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const d of directorsOf(lab)) pids[d.name] = await startKeepalivedOn(lab, d.name, log);
  return pids;
}

/** One director's keepalived (VRRP only, in the foreground, logging to its file), after writing its configuration. */
export async function startKeepalivedOn(lab: LabConfig, node: string, log: Logger): Promise<number> {
  const files = keepalivedFiles(lab.lab, node);
  await writeFile(files.conf, keepalivedConf(lab, node, { interface: NODE_LINK, curl: onPath('curl') }));
  const argv = ['ip', 'netns', 'exec', netnsName(lab, node), onPath('keepalived'), '--dont-fork', '--vrrp', '--log-console', '--log-detail',
    '--no-syslog', '--use-file', files.conf, '--pid', files.pid, '--vrrp_pid', files.vrrpPid];
  return startDetached(argv, files.log, log);
}

/** Polls the directors' lab links until exactly one holds every floating address; throws with each keepalived's log tail when time is up. */
export async function waitForMaster(lab: LabConfig, runnerOf: (node: string) => Runner, timeoutMs: number): Promise<Holders & { ok: true }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holders = await readHolders(lab, runnerOf, NODE_LINK);
    if (holders.ok) return holders;
    if (Date.now() > deadline) {
      const tails = await Promise.all(directorsOf(lab).map(async (d) => {
        const text = await readFile(keepalivedFiles(lab.lab, d.name).log, 'utf8').catch(() => '(no log)');
        return `${d.name}'s keepalived log ends with:\n${text.trim().split('\n').slice(-8).join('\n')}`;
      }));
      throw new Error(`no director became master within ${timeoutMs} ms (${holders.reason});\n${tails.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
