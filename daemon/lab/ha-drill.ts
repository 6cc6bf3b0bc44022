/**
 * `lvslab drill failover` in the one-box HA lab: with the client making a new connection every
 * `everyMs` and holding `held` connections open (ha/drill-agent.ts, run in the client's namespace), it
 * counts what the backup holds of them (IPVS sync daemon, conntrackd), takes the master away (its
 * keepalived stopped, or its lab link down), follows every address change
 * on both directors' lab links (ip monitor address) until the backup holds the floating addresses, collects what the client saw, then brings the old master
 * back and looks, 3 adverts and 2 s later, at who is master. Judged and rendered by ha/drill-report.ts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LabConfig } from '../config/types.js';
import { conntrackdEstablishedTo } from '../ha/conntrackd-read.js';
import type { DrillAgentResult } from '../ha/drill-agent.js';
import { establishedTo, judgeDrill, movesOf, outageOf, parseAddressLine, type AddressEvent, type DrillReport, type DrillWay } from '../ha/drill-report.js';
import { floatingIps, readHolders } from '../ha/holders.js';
import { directorsOf } from '../ha/keepalived-conf.js';
import { createRunner, watchLines } from '../kernel/runner.js';
import { cliProgram } from '../paths.js';
import { netnsName } from '../plan/names.js';
import { haFiles, startKeepalivedOn } from './ha-lab.js';
import { nodeRunner, readRecord, writeRecord } from './namespace-lab.js';
import { NODE_LINK } from './topology.js';

export interface DrillOptions {
  readonly way: DrillWay;
  /** Connections held open through the failover. */
  readonly held: number;
  /** A new connection every this many ms. */
  readonly everyMs: number;
}

/** The agent's own bound: far beyond a drill's length, so that it always ends by itself. */
const AGENT_SECONDS = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`drill: ${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function drillFailover(lab: LabConfig, log: Logger, o: DrillOptions, say: (line: string) => void): Promise<DrillReport> {
  const ha = lab.ha;
  if (ha === undefined) throw new Error(`lab ${lab.lab} has one director: a failover drill needs an ha key and two directors (labs/ha.yaml)`);
  const record = await readRecord(lab.lab);
  if (record?.keepalived === undefined) throw new Error(`lab ${lab.lab} is not up here with keepalived: lvslab up first`);
  const runnerOf = (node: string) => nodeRunner(lab, node, log);
  const before = await readHolders(lab, runnerOf, NODE_LINK);
  if (!before.ok) throw new Error(`drill: keepalived's addresses are not on exactly one director before it starts: ${before.reason}`);
  const from = before.master;
  const to = directorsOf(lab).find((d) => d.name !== from)!.name;
  const vs = lab.virtualServers.find((v) => v.protocol === 'tcp');
  if (vs === undefined) throw new Error(`lab ${lab.lab} has no TCP virtual server to drill with`);
  const client = lab.nodes.find((n) => n.role === 'client');
  if (client === undefined) throw new Error(`lab ${lab.lab} has no client node`);

  const dir = await mkdtemp(join(tmpdir(), 'lvslab-drill-'));
  const ready = join(dir, 'ready');
  const stop = join(dir, 'stop');
  try {
    say(`${client.name}: a new connection to ${vs.vip}:${vs.port} every ${o.everyMs} ms and ${o.held} held open, through ${from}`);
    const agentArgv = ['ip', 'netns', 'exec', netnsName(lab, client.name), process.execPath, cliProgram, 'drill-agent', '--vip', vs.vip, '--port', String(vs.port),
      '--held', String(o.held), '--every', String(o.everyMs), '--seconds', String(AGENT_SECONDS), '--ready', ready, '--stop', stop];
    let agentDone = false;
    const agent = createRunner({ log }).run(agentArgv, { timeoutMs: (AGENT_SECONDS + 60) * 1000 }).finally(() => { agentDone = true; });
    agent.catch(() => undefined); // awaited below; a failure before that must not be unhandled
    await waitFor('the client side started (its held connections open)', 60_000, () => {
      if (agentDone) throw new Error('drill: the client side ended before it was ready');
      return existsSync(ready);
    });
    const established = async (node: string) => establishedTo((await runnerOf(node).run(['ipvsadm', '-L', '-n', '-c'])).stdout, vs.vip, vs.port);
    // the master's sync daemon sends a connection after a few packets, in batches: give it the time
    await waitFor(`${o.held} connections copied to ${to}`, 20_000, async () => (await established(to)) >= o.held).catch(() => undefined);
    const copied = await established(to);
    // and conntrackd's copies of their conntrack entries, which the backup commits into its kernel on becoming master
    const backupConntrackd = async () =>
      conntrackdEstablishedTo((await runnerOf(to).run(['conntrackd', '-C', haFiles(lab.lab, to).conntrackd.conf, '-e', 'ct'])).stdout, vs.vip, vs.port);
    await waitFor(`${o.held} conntrack entries in ${to}'s conntrackd`, 10_000, async () => (await backupConntrackd()) >= o.held).catch(() => undefined);
    const tracked = await backupConntrackd();
    say(`${o.held} connections held through ${from}; ${to} has ${copied} from the IPVS sync daemon and ${tracked} in conntrackd's external cache`);

    // every address change on both lab links, as it happens (ip monitor), stamped on arrival
    const events: AddressEvent[] = [];
    let takenAt = Date.now();
    const watches = directorsOf(lab).map((d) => watchLines(['ip', '-n', netnsName(lab, d.name), 'monitor', 'address'], (line) => {
      const e = parseAddressLine(line, NODE_LINK);
      if (e !== undefined) events.push({ node: d.name, at: Date.now() - takenAt, ...e });
    }, log, 120_000));
    let movedMs: number | undefined;
    let bothHeld = 0;
    try {
      await Promise.all(watches.map((w) => w.started));
      await sleep(300); // ip monitor subscribes just after it starts
      say(o.way === 'keepalived' ? `stopping ${from}'s keepalived (SIGTERM)` : `setting ${from}'s lab link down`);
      takenAt = Date.now();
      if (o.way === 'keepalived') process.kill(record.keepalived[from]!, 'SIGTERM');
      else await runnerOf(from).run(['ip', 'link', 'set', NODE_LINK, 'down']);
      await waitFor(`${to} holds the floating addresses`, 20_000, async () => {
        const now = await readHolders(lab, runnerOf, NODE_LINK);
        return now.ok && now.master === to;
      }).catch(() => undefined);
      await sleep(2000);
    } finally {
      await Promise.all(watches.map((w) => w.stop()));
    }
    ({ movedMs, bothHeld } = movesOf(events.filter((e) => e.at >= 0), floatingIps(lab), vs.vip, from, to));
    say(movedMs === undefined ? `${to} did not take over within 20 s` : `${to} holds the floating addresses (${movedMs} ms)`);
    await writeFile(stop, '');
    const result = JSON.parse((await agent).stdout) as DrillAgentResult;

    say(o.way === 'keepalived' ? `starting ${from}'s keepalived again` : `setting ${from}'s lab link up again`);
    if (o.way === 'keepalived') {
      const pid = await startKeepalivedOn(lab, from, log);
      await writeRecord({ ...record, keepalived: { ...record.keepalived, [from]: pid } });
    } else {
      await runnerOf(from).run(['ip', 'link', 'set', NODE_LINK, 'up']);
    }
    await sleep(3 * ha.advertIntervalMs + 2000);
    const after = await readHolders(lab, runnerOf, NODE_LINK);
    const returnedMaster = after.ok ? after.master : undefined;
    // preemption gives the VIP back only to the higher priority: the first director listed
    const expected = ha.preempt && directorsOf(lab)[0]!.name === from ? from : to;
    const held = result.held;
    return judgeDrill({
      lab: lab.lab, way: o.way, from, to,
      ...(movedMs === undefined ? {} : { movedMs }),
      addressEvents: events.filter((e) => e.at >= 0).length,
      bothHeld,
      newConnections: outageOf(result.timeline, takenAt - result.startedAt),
      established: {
        held: held.length, copiedToBackup: copied, inBackupConntrackd: tracked,
        survived: held.filter((h) => 'server' in h).length,
        errors: held.flatMap((h) => ('error' in h ? [h.error] : [])),
      },
      returned: { preempt: ha.preempt, expected, ...(returnedMaster === undefined ? {} : { master: returnedMaster }), ok: returnedMaster === expected },
    });
  } finally {
    await writeFile(stop, '').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
