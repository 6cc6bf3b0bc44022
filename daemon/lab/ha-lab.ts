/**
 * keepalived in the one-box HA lab: one keepalived per director, started as a process inside the
 * director's namespace (as `up` starts lvslabd there) with the configuration lvslab writes for it,
 * and a wait until exactly one director holds the floating addresses.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig, NodeConfig } from '../config/types.js';
import { directorsOf, keepalivedConf } from '../ha/keepalived-conf.js';
import { readHolders } from '../ha/holders.js';
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
      if (statSync(candidate).isFile()) return candidate;
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


/** One director's keepalived (VRRP only, in the foreground, logging to its file), after writing its configuration. */
export async function startKeepalivedOn(lab: LabConfig, node: string, log: Logger): Promise<number> {
  const files = keepalivedFiles(lab.lab, node);
  await writeFile(files.conf, keepalivedConf(lab, node, { interface: NODE_LINK, curl: onPath('curl') }));
  const argv = ['ip', 'netns', 'exec', netnsName(lab, node), onPath('keepalived'), '--dont-fork', '--vrrp', '--log-console', '--log-detail',
    '--no-syslog', '--use-file', files.conf, '--pid', files.pid, '--vrrp_pid', files.vrrpPid];
  return startDetached(argv, files.log, log);
}

/**
 * Starts the directors' keepalived one after the other, as one brings up an HA pair: the first alone
 * until it holds every floating address (3 adverts of silence and its skew), then the second, until
 * its log says it entered BACKUP (it has heard the master). Started together, both could wait out
 * their timers at once (a track script that first timed out, as a cold curl does under emulation,
 * puts both in FAULT and lets both out together), and both be master until the first advert each
 * hears: the backup's gratuitous ARPs would send the real servers' replies for the floating address
 * to it meanwhile. `remember` gets the pids so far after each start (up records them at once: a
 * failed wait must not leave a keepalived that down does not know of).
 */
export async function startKeepalived(lab: LabConfig, log: Logger, runnerOf: (node: string) => Runner, timeoutMs: number,
  remember: (pids: Readonly<Record<string, number>>) => Promise<void>, onState: (node: string, state: 'MASTER' | 'BACKUP') => void): Promise<void> {
  const [first, second] = directorsOf(lab) as [NodeConfig, NodeConfig];
  const pids: Record<string, number> = {};
  pids[first.name] = await startKeepalivedOn(lab, first.name, log);
  await remember(pids);
  await waitUntil(timeoutMs, async () => {
    const holders = await readHolders(lab, runnerOf, NODE_LINK);
    if (!holders.ok) return holders.reason;
    return holders.master === first.name ? true : `${holders.master} is master, not ${first.name}`;
  }, `${first.name} did not become master`, lab);
  onState(first.name, 'MASTER');
  pids[second.name] = await startKeepalivedOn(lab, second.name, log);
  await remember(pids);
  await waitUntil(timeoutMs, async () => (await keepalivedLog(lab, second.name)).includes('Entering BACKUP STATE') || 'its log has no "Entering BACKUP STATE"',
    `${second.name} did not enter BACKUP`, lab);
  onState(second.name, 'BACKUP');
}

const keepalivedLog = (lab: LabConfig, node: string): Promise<string> => readFile(keepalivedFiles(lab.lab, node).log, 'utf8').catch(() => '(no log)');

/** Polls `check` (true, or why not) every 200 ms; throws with the last why and each keepalived's log tail when time is up. */
async function waitUntil(timeoutMs: number, check: () => Promise<true | string>, what: string, lab: LabConfig): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = await check();
    if (why === true) return;
    if (Date.now() > deadline) {
      const tails = await Promise.all(directorsOf(lab).map(async (d) =>
        `${d.name}'s keepalived log ends with:\n${(await keepalivedLog(lab, d.name)).trim().split('\n').slice(-8).join('\n')}`));
      throw new Error(`${what} within ${timeoutMs} ms (${why});\n${tails.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
