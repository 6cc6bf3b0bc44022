/**
 * Builds, runs and removes the one-box lab: namespaces and wiring, one lvslabd per node started inside
 * its namespace, and a wait for every daemon to report convergence. Kernel work inside the nodes is the
 * daemons' job; this module only wires namespaces and manages processes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig, NodeConfig } from '../config/types.js';
import { createRunner, startDetached, type Runner } from '../kernel/runner.js';
import { netnsName } from '../plan/names.js';
import { daemonProgram } from '../paths.js';
import { readState, type DaemonState } from '../reconcile/state-file.js';
import { labNamespaces, RESOLV_CONF_MARK, resolvConfs, topologyBatches } from './topology.js';

export const RUN_DIR = '/run/lvslab';
export const labRunDir = (lab: string): string => join(RUN_DIR, lab);

/** What `up` leaves behind so that `verify`, `status` and `down` find the running lab. */
export interface LabRecord {
  readonly lab: string;
  readonly config: string;
  readonly pids: Readonly<Record<string, number>>;
  /** An HA lab's keepalived per director (ha-lab.ts), stopped before the daemons. */
  readonly keepalived?: Readonly<Record<string, number>>;
  /** An HA lab's conntrackd per director, stopped after keepalived (whose notify script calls it). */
  readonly conntrackd?: Readonly<Record<string, number>>;
  readonly startedAt: string;
}

export async function writeRecord(record: LabRecord): Promise<void> {
  await writeFile(join(labRunDir(record.lab), 'lab.json'), JSON.stringify(record, null, 2));
}

export async function existingNamespaces(runner: Runner): Promise<Set<string>> {
  const { stdout } = await runner.run(['ip', '-j', 'netns', 'list']);
  const list = stdout.trim() === '' ? [] : (JSON.parse(stdout) as { name: string }[]);
  return new Set(list.map((n) => n.name));
}

export async function buildTopology(lab: LabConfig, runner: Runner): Promise<void> {
  const batches = topologyBatches(lab);
  await runner.run(['ip', '-batch', '-'], { input: batches.host });
  for (const { netns, batch } of batches.perNamespace) await runner.run(['ip', '-n', netns, '-batch', '-'], { input: batch });
  for (const { path, text } of resolvConfs(lab)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

/** Removes the resolv.conf files lvslab wrote (and their folder when it is left empty). */
async function removeResolvConfs(lab: LabConfig): Promise<void> {
  for (const { path } of resolvConfs(lab)) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (!text.startsWith(RESOLV_CONF_MARK)) continue;
    await rm(path, { force: true });
    if ((await readdir(dirname(path)).catch(() => ['?'])).length === 0) await rm(dirname(path), { recursive: true, force: true });
  }
}

/**
 * The order the daemons start in. A lab with health checks starts its real servers and clients first
 * and its directors once those have converged, as one brings backends up before their balancer: each
 * real server's backend then listens before the director's first check. Started together, on two
 * emulated cores, a real server's daemon could come up more than a second after the director's, whose
 * two refused checks (fall 2, 1 s apart) then held it at weight 0 until it rose again, through up's
 * verify.
 */
export function startWaves(lab: LabConfig): readonly (readonly NodeConfig[])[] {
  if (!lab.virtualServers.some((vs) => vs.healthCheck !== undefined)) return [lab.nodes];
  const directors = lab.nodes.filter((n) => n.role === 'director');
  return [lab.nodes.filter((n) => n.role !== 'director'), directors].filter((wave) => wave.length > 0);
}

/**
 * Starts the daemons of `nodes` (default: every node of the lab) and writes the lab's record (lab.json)
 * with their pids added to those of `earlier` (a first wave), in the lab's order of nodes.
 */
export async function startDaemons(lab: LabConfig, configPath: string, log: Logger,
  nodes: readonly NodeConfig[] = lab.nodes, earlier?: LabRecord): Promise<LabRecord> {
  const dir = labRunDir(lab.lab);
  await mkdir(dir, { recursive: true });
  const started: Record<string, number> = { ...earlier?.pids };
  for (const node of nodes) {
    await rm(stateFile(lab.lab, node.name), { force: true });
    const argv = ['ip', 'netns', 'exec', netnsName(lab, node.name), process.execPath, daemonProgram,
      '--config', resolve(configPath), '--node', node.name, '--state-file', stateFile(lab.lab, node.name)];
    started[node.name] = startDetached(argv, join(dir, `${node.name}.log`), log);
  }
  const pids = Object.fromEntries(lab.nodes.flatMap((n) => (started[n.name] === undefined ? [] : [[n.name, started[n.name]!] as const])));
  const record: LabRecord = { lab: lab.lab, config: resolve(configPath), pids, startedAt: earlier?.startedAt ?? new Date().toISOString() };
  await writeRecord(record);
  return record;
}

export const stateFile = (lab: string, node: string): string => join(labRunDir(lab), `${node}.state.json`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Waits until every node's daemon reports a converged run; calls onProgress once per node as it gets
 * there. Throws, with the tail of its log, when a daemon dies or the time is up.
 */
export async function waitConverged(record: LabRecord, timeoutMs: number, onProgress: (s: DaemonState) => void,
  nodes: readonly string[] = Object.keys(record.pids)): Promise<DaemonState[]> {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, DaemonState>();
  const waited = Object.entries(record.pids).filter(([node]) => nodes.includes(node));
  while (done.size < waited.length) {
    for (const [node, pid] of waited) {
      if (done.has(node)) continue;
      const s = await readState(stateFile(record.lab, node));
      if (s?.converged) {
        done.set(node, s);
        onProgress(s);
      } else if (!alive(pid)) {
        throw new Error(`the daemon of ${node} (pid ${pid}) exited; its log ends with:\n${await logTail(record.lab, node)}`);
      } else if (Date.now() > deadline) {
        const why = s?.last?.error ?? (s?.last ? `${s.last.remaining} changes still differ` : 'no run finished');
        throw new Error(`${node} did not converge within ${timeoutMs} ms (${why}); its log ends with:\n${await logTail(record.lab, node)}`);
      }
    }
    if (done.size < waited.length) await new Promise((r) => setTimeout(r, 150));
  }
  return [...done.values()];
}

async function logTail(lab: string, node: string): Promise<string> {
  const text = await readFile(join(labRunDir(lab), `${node}.log`), 'utf8').catch(() => '(no log)');
  return text.trim().split('\n').slice(-8).join('\n');
}

export async function readRecord(lab?: string): Promise<LabRecord | undefined> {
  const names = lab ? [lab] : await readdir(RUN_DIR).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(labRunDir(name), 'lab.json');
    if (existsSync(path)) return JSON.parse(await readFile(path, 'utf8')) as LabRecord;
  }
  return undefined;
}

/**
 * SIGTERM every keepalived (which then drops its floating addresses), then every conntrackd, then every
 * daemon; SIGKILL what is still there after 5 s.
 */
export async function stopDaemons(record: LabRecord): Promise<void> {
  await stopPids(Object.values(record.keepalived ?? {}));
  await stopPids(Object.values(record.conntrackd ?? {}));
  await stopPids(Object.values(record.pids));
}

async function stopPids(all: readonly number[]): Promise<void> {
  const pids = all.filter(alive);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

/** Deletes the lab's namespaces (which takes every veth, bridge, rule, set and IPVS service inside). */
export async function removeTopology(lab: LabConfig, runner: Runner): Promise<string[]> {
  const present = await existingNamespaces(runner);
  const doomed = labNamespaces(lab).filter((ns) => present.has(ns));
  if (doomed.length > 0) await runner.run(['ip', '-batch', '-'], { input: doomed.map((ns) => `netns del ${ns}\n`).join('') });
  await rm(labRunDir(lab.lab), { recursive: true, force: true });
  await removeResolvConfs(lab);
  return doomed;
}

/** A runner for commands inside a node of the one-box lab. */
export const nodeRunner = (lab: LabConfig, node: string, log: Logger): Runner => createRunner({ log, netns: netnsName(lab, node) });
