/**
 * Where `lvslab drill failover` acts (lab/ha-drill.ts): the one-box lab, whose nodes are this machine's
 * network namespaces and whose keepalived processes `up` started; or machines of their own (the Vagrant
 * lab), reached over ssh (lab/ssh-node.ts), whose keepalived runs under its own unit.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig } from '../config/types.js';
import type { DrillWay } from '../ha/drill-report.js';
import { MACHINE_PATHS } from '../ha/machine-files.js';
import { createRunner, startDetached, type Runner } from '../kernel/runner.js';
import { cliProgram } from '../paths.js';
import { netnsName } from '../plan/names.js';
import { haFiles, startKeepalivedOn } from './ha-lab.js';
import { nodeRunner, readRecord, writeRecord } from './namespace-lab.js';
import { linkWithAddress } from './node-access.js';
import { sshArgv, sshCheckArgv, sshExitArgv, sshMasterArgv, sshRunner, type SshTarget } from './ssh-node.js';
import { NODE_LINK } from './topology.js';

export interface DrillSite {
  /** Where the drill runs, for its first line: "this machine's namespaces", "machines over ssh (FILE)". */
  readonly where: string;
  /** Commands on `node` as root. */
  runnerOf(node: string): Runner;
  /** Reads on `node` that need no root (ip addr, date, pgrep): over ssh without sudo (on an emulated VM, sudo alone took 0.3–0.4 s of CPU and about 1 s). */
  readerOf(node: string): Runner;
  /** The argv of a long-running command on `node` (ip monitor, the client's agent), for watchLines and the runner. */
  argvOn(node: string, argv: readonly string[]): string[];
  /** The link that holds `node`'s lab address: where keepalived's addresses come and go. */
  linkOf(node: string): Promise<string>;
  /** The argv that runs lvslab on the client. */
  readonly lvslab: readonly string[];
  /** A new folder on `node` for the agent's ready and stop files (removed by close). */
  scratchOn(node: string): Promise<string>;
  /** The configuration file of `node`'s conntrackd, for `conntrackd -C FILE -e ct`. */
  conntrackdConf(node: string): string;
  /** The master taken away (keepalived stopped, or the lab link down), and brought back. */
  takeAway(node: string, way: DrillWay, link: string): Promise<void>;
  bringBack(node: string, way: DrillWay, link: string): Promise<void>;
  /** `node`'s clock minus this machine's, in ms (0 where they are one clock). */
  clockOffset(node: string): Promise<number>;
  /** How many `argv` (exactly that command line) run on `node` now. */
  countRunning(node: string, argv: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/** The one-box lab: each node a namespace of this machine; keepalived the process `up` started (its pid in the lab record). */
export async function namespaceSite(lab: LabConfig, log: Logger): Promise<DrillSite> {
  const record = await readRecord(lab.lab);
  if (record?.keepalived === undefined) throw new Error(`lab ${lab.lab} is not up here with keepalived: lvslab up first`);
  let pids = record.keepalived;
  const scratch: string[] = [];
  // the processes in the node's namespace (ip netns pids) whose command line is exactly argv
  const countRunning = async (node: string, argv: readonly string[]): Promise<number> => {
    const inNs = (await createRunner({ log }).run(['ip', 'netns', 'pids', netnsName(lab, node)])).stdout.split('\n').filter((p) => p !== '');
    const lines = await Promise.all(inNs.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
    return lines.filter((l) => l.split('\0').filter((a) => a !== '').join(' ') === argv.join(' ')).length;
  };
  return {
    where: 'this machine\'s network namespaces',
    runnerOf: (node) => nodeRunner(lab, node, log),
    readerOf: (node) => nodeRunner(lab, node, log),
    argvOn: (node, argv) => ['ip', 'netns', 'exec', netnsName(lab, node), ...argv],
    linkOf: async () => NODE_LINK,
    lvslab: [process.execPath, cliProgram],
    scratchOn: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'lvslab-drill-'));
      scratch.push(dir);
      return dir;
    },
    conntrackdConf: (node) => haFiles(lab.lab, node).conntrackd.conf,
    takeAway: async (node, way, link) => {
      if (way === 'keepalived') process.kill(pids[node]!, 'SIGTERM');
      else await nodeRunner(lab, node, log).run(['ip', 'link', 'set', link, 'down']);
    },
    bringBack: async (node, way, link) => {
      if (way === 'link') {
        await nodeRunner(lab, node, log).run(['ip', 'link', 'set', link, 'up']);
        return;
      }
      pids = { ...pids, [node]: await startKeepalivedOn(lab, node, log) };
      await writeRecord({ ...record, keepalived: pids });
    },
    clockOffset: async () => 0,
    countRunning,
    close: async () => { await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))); },
  };
}

/**
 * Machines of their own, one per node, reached over ssh with CONFIGFILE (Host entries named after the
 * nodes: `vagrant ssh-config`); lvslab and keepalived installed there by scripts/provision.sh.
 */
export async function sshSite(lab: LabConfig, log: Logger, configFile: string): Promise<DrillSite> {
  const local = createRunner({ log, defaultTimeoutMs: 30_000 });
  const target: SshTarget = { configFile, controlDir: await mkdtemp(join(tmpdir(), 'lvslab-ssh-')) };
  const scratch: { node: string; dir: string }[] = [];
  // one master connection to each node the drill acts on: the directors and the client
  const nodes = lab.nodes.filter((n) => n.role === 'director' || n.role === 'client').map((n) => n.name);
  const masters = nodes.map((node) => ({ node, pid: startDetached(sshMasterArgv(target, node), join(target.controlDir, `${node}.log`), log) }));
  const closeMasters = async () => {
    await Promise.all(nodes.map((node) => local.run(sshExitArgv(target, node), { okExitCodes: [255] }).catch(() => undefined)));
    for (const { pid } of masters) try { process.kill(pid); } catch { /* gone already */ }
    await rm(target.controlDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map(async (node) => {
      const deadline = Date.now() + 30_000;
      while ((await local.run(sshCheckArgv(target, node), { okExitCodes: [255] })).exitCode !== 0) {
        if (Date.now() > deadline) {
          const said = await readFile(join(target.controlDir, `${node}.log`), 'utf8').catch(() => '');
          throw new Error(`ssh to ${node} with ${configFile}: no connection within 30 s${said.trim() === '' ? '' : `: ${said.trim().split('\n').slice(-3).join(' | ')}`}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }));
  } catch (error) {
    await closeMasters();
    throw error;
  }
  const runnerOf = (node: string): Runner => sshRunner(local, target, node);
  // reads that need no root go without sudo, which alone takes seconds on an emulated VM
  const asUser = (node: string): Runner => sshRunner(local, target, node, false);
  const pgrepCount = async (node: string, argv: readonly string[]): Promise<number> =>
    Number((await asUser(node).run(['pgrep', '-c', '-x', '-f', argv.join(' ')], { okExitCodes: [1] })).stdout.trim());
  const ipOf = (node: string): string => {
    const found = lab.nodes.find((n) => n.name === node);
    if (found === undefined) throw new Error(`lab ${lab.lab} has no node ${node}`);
    return found.ip;
  };
  return {
    where: `machines over ssh (${configFile})`,
    runnerOf,
    readerOf: asUser,
    // over a connection of its own (see sshArgv); a remote program outlives its ssh until it next writes
    // (ip monitor, with no address change, never would): bounded there by timeout(1)
    argvOn: (node, argv) => sshArgv(target, node, ['timeout', '300', ...argv], { own: true }),
    linkOf: async (node) => {
      const json = (await asUser(node).run(['ip', '-j', '-4', 'addr', 'show'])).stdout;
      const link = linkWithAddress(json, ipOf(node));
      if (link === undefined) throw new Error(`${node} has no link with its lab address ${ipOf(node)} (is it the machine of node ${node}?)`);
      return link;
    },
    lvslab: ['lvslab'],
    scratchOn: async (node) => {
      const dir = (await runnerOf(node).run(['mktemp', '-d', '/tmp/lvslab-drill-XXXXXX'])).stdout.trim();
      scratch.push({ node, dir });
      return dir;
    },
    conntrackdConf: () => MACHINE_PATHS.conntrackd.conf,
    takeAway: async (node, way, link) => {
      await runnerOf(node).run(way === 'keepalived' ? ['systemctl', 'stop', 'keepalived.service'] : ['ip', 'link', 'set', link, 'down']);
    },
    bringBack: async (node, way, link) => {
      await runnerOf(node).run(way === 'keepalived' ? ['systemctl', 'start', 'keepalived.service'] : ['ip', 'link', 'set', link, 'up']);
    },
    clockOffset: async (node) => {
      // the sample with the shortest round trip: its error is at most half of it
      const samples: { offset: number; roundTrip: number }[] = [];
      for (let i = 0; i < 3; i += 1) {
        const before = Date.now();
        const remote = Number((await asUser(node).run(['date', '+%s%3N'])).stdout.trim());
        const after = Date.now();
        if (!Number.isFinite(remote)) throw new Error(`${node}: date +%s%3N did not print a number`);
        samples.push({ offset: remote - (before + after) / 2, roundTrip: after - before });
      }
      const best = samples.reduce((a, b) => (b.roundTrip < a.roundTrip ? b : a));
      log.debug({ node, offsetMs: best.offset, roundTripMs: best.roundTrip }, 'drill: clock offset');
      return Math.round(best.offset);
    },
    countRunning: pgrepCount,
    close: async () => {
      await Promise.all(scratch.map(({ node, dir }) => runnerOf(node).run(['rm', '-rf', dir]).catch(() => undefined)));
      await closeMasters();
    },
  };
}
