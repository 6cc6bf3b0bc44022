/**
 * keepalived in the one-box HA lab: one keepalived per director, started as a process inside the
 * director's namespace (as `up` starts lvslabd there) with the configuration lvslab writes for it,
 * and a wait until exactly one director holds the floating addresses.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig, NodeConfig } from '../config/types.js';
import { conntrackdConf, conntrackdNotifyScript, type ConntrackdFiles } from '../ha/conntrackd-conf.js';
import { directorsOf, keepalivedConf } from '../ha/keepalived-conf.js';
import { readHolders } from '../ha/holders.js';
import { startDetached, type Runner } from '../kernel/runner.js';
import { errorText } from '../kernel/tool-error.js';
import { netnsName } from '../plan/names.js';
import { NODE_LINK } from './topology.js';
import { labRunDir } from './namespace-lab.js';

/** What an HA lab runs on its directors besides lvslabd (Debian packages of the same names). */
export const HA_PROGRAMS = ['keepalived', 'conntrackd', 'curl'] as const;

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

/** Where a director's keepalived and conntrackd keep their files in the lab's run folder. */
export const haFiles = (lab: string, node: string) => {
  const at = (suffix: string) => join(labRunDir(lab), `${node}.${suffix}`);
  const conntrackd: ConntrackdFiles = { conf: at('conntrackd.conf'), lock: at('conntrackd.lock'), socket: at('conntrackd.sock'), notifyLog: at('conntrackd-notify.log') };
  return {
    keepalived: { conf: at('keepalived.conf'), log: at('keepalived.log'), pid: at('keepalived.pid'), vrrpPid: at('keepalived-vrrp.pid') },
    conntrackd,
    /** What conntrackd prints: its log (LogFile off, it runs in the foreground). */
    conntrackdLog: at('conntrackd.log'),
    notify: at('conntrackd-notify.sh'),
  };
};

/** One director's keepalived (VRRP only, in the foreground, logging to its file), after writing its configuration. */
export async function startKeepalivedOn(lab: LabConfig, node: string, log: Logger): Promise<number> {
  const files = haFiles(lab.lab, node);
  await writeFile(files.keepalived.conf, keepalivedConf(lab, node, { interface: NODE_LINK, curl: onPath('curl'), notify: files.notify }));
  const argv = ['ip', 'netns', 'exec', netnsName(lab, node), onPath('keepalived'), '--dont-fork', '--vrrp', '--log-console', '--log-detail',
    '--no-syslog', '--use-file', files.keepalived.conf, '--pid', files.keepalived.pid, '--vrrp_pid', files.keepalived.vrrpPid];
  return startDetached(argv, files.keepalived.log, log);
}

/**
 * One director's conntrackd (in the foreground, inside its namespace), after writing its configuration
 * and the notify script keepalived runs; resolves once it answers on its socket (keepalived's first
 * notify asks it to commit).
 */
export async function startConntrackdOn(lab: LabConfig, node: string, log: Logger, runner: Runner, timeoutMs: number): Promise<number> {
  const files = haFiles(lab.lab, node);
  const conntrackd = onPath('conntrackd');
  await writeFile(files.conntrackd.conf, conntrackdConf(lab, node, { interface: NODE_LINK, files: files.conntrackd, underSystemd: false }));
  await writeFile(files.notify, conntrackdNotifyScript(lab, node, conntrackd, files.conntrackd), { mode: 0o755 });
  await rm(files.conntrackd.lock, { force: true }); // a killed conntrackd leaves it, and the next one refuses to start
  const pid = startDetached(['ip', 'netns', 'exec', netnsName(lab, node), conntrackd, '-C', files.conntrackd.conf], files.conntrackdLog, log);
  await waitUntil(timeoutMs, () => runner.run([conntrackd, '-C', files.conntrackd.conf, '-s'], { timeoutMs: 5000 }).then(() => true as const, errorText),
    `conntrackd on ${node} did not answer on ${files.conntrackd.socket}`,
    async () => `it printed: ${(await readFile(files.conntrackdLog, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join(' | ') || '(nothing)'}`);
  return pid;
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
  }, `${first.name} did not become master`, () => keepalivedTails(lab));
  onState(first.name, 'MASTER');
  pids[second.name] = await startKeepalivedOn(lab, second.name, log);
  await remember(pids);
  await waitUntil(timeoutMs, async () => (await keepalivedLog(lab, second.name)).includes('Entering BACKUP STATE') || 'its log has no "Entering BACKUP STATE"',
    `${second.name} did not enter BACKUP`, () => keepalivedTails(lab));
  onState(second.name, 'BACKUP');
}

const keepalivedLog = (lab: LabConfig, node: string): Promise<string> => readFile(haFiles(lab.lab, node).keepalived.log, 'utf8').catch(() => '(no log)');

/** Each director's keepalived log tail, for an error. */
const keepalivedTails = async (lab: LabConfig): Promise<string> => (await Promise.all(directorsOf(lab).map(async (d) =>
  `${d.name}'s keepalived log ends with:\n${(await keepalivedLog(lab, d.name)).trim().split('\n').slice(-8).join('\n')}`))).join('\n');

/** Polls `check` (true, or why not) every 200 ms; throws with the last why and what `explain` adds when time is up. */
async function waitUntil(timeoutMs: number, check: () => Promise<true | string>, what: string, explain: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = await check();
    if (why === true) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms (${why});\n${await explain()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
