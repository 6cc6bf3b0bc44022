/**
 * `lvslab drill failover` in an HA lab, where `site` says (lab/drill-sites.ts: the one-box lab's
 * namespaces, or machines over ssh): with the client making a new connection every
 * `everyMs` and holding `held` connections open (ha/drill-agent.ts, run on the client), it
 * counts what the backup holds of them (IPVS sync daemon, conntrackd), takes the master away (its
 * keepalived stopped, or its lab link down), follows every address change
 * on both directors' lab links (ip monitor address) until the backup holds the floating addresses, collects what the client saw, then brings the old master
 * back and looks, 3 adverts and 2 s later, at who is master. Judged and rendered by ha/drill-report.ts.
 */
import type { Logger } from 'pino';
import type { LabConfig } from '../config/types.js';
import { conntrackdEstablishedTo } from '../ha/conntrackd-read.js';
import type { DrillAgentResult } from '../ha/drill-agent.js';
import { establishedTo, judgeDrill, movesOf, outageOf, parseAddressLine, type AddressEvent, type DrillReport, type DrillWay } from '../ha/drill-report.js';
import { floatingIps, readHolders, type Holders } from '../ha/holders.js';
import { directorsOf } from '../ha/keepalived-conf.js';
import { createRunner, watchLines } from '../kernel/runner.js';
import type { DrillSite } from './drill-sites.js';

export interface DrillOptions {
  readonly way: DrillWay;
  /** Connections held open through the failover. */
  readonly held: number;
  /** A new connection every this many ms. */
  readonly everyMs: number;
}

/** How far before the take-away command an address change may seem to come: the error of a remote clock's offset. */
const CLOCK_SLACK_MS = 250;
/** The agent's own bound: far beyond a drill's length, so that it always ends by itself. */
const AGENT_SECONDS = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * How often the drill asks a node while it waits for something there. Each ask is a process on the node
 * (over ssh with sudo, or through ip netns exec): under emulation one `ip netns exec … ipvsadm -Lnc` costs
 * 110 ms of CPU and a curl 190 ms (micro-VM, two CPUs for every node). Asked every 100 ms, the asks took
 * the CPU that keepalived's track script and lvslabd need (a backup whose track script timed out went
 * FAULT in a CI drill on the Vagrant VMs); once a second they take a tenth of it. The takeover itself is
 * read from the ip monitor watches, without a process.
 */
const POLL_MS = 1000;

async function waitFor(what: string, timeoutMs: number, everyMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`drill: ${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export async function drillFailover(lab: LabConfig, site: DrillSite, log: Logger, o: DrillOptions, say: (line: string) => void): Promise<DrillReport> {
  const ha = lab.ha;
  if (ha === undefined) throw new Error(`lab ${lab.lab} has one director: a failover drill needs an ha key and two directors (labs/ha.yaml)`);
  const vs = lab.virtualServers.find((v) => v.protocol === 'tcp');
  if (vs === undefined) throw new Error(`lab ${lab.lab} has no TCP virtual server to drill with`);
  const client = lab.nodes.find((n) => n.role === 'client');
  if (client === undefined) throw new Error(`lab ${lab.lab} has no client node`);
  const directors = directorsOf(lab).map((d) => d.name);
  const links = Object.fromEntries(await Promise.all(directors.map(async (d) => [d, await site.linkOf(d)] as const))) as Record<string, string>;
  const holders = (): Promise<Holders> => readHolders(lab, (d) => site.readerOf(d), (d) => links[d]!);
  const before = await holders();
  if (!before.ok) throw new Error(`drill: keepalived's addresses are not on exactly one director before it starts: ${before.reason}`);
  const from = before.master;
  const to = directors.find((d) => d !== from)!;

  const scratch = await site.scratchOn(client.name);
  const ready = `${scratch}/ready`;
  const stop = `${scratch}/stop`;
  const onClient = site.runnerOf(client.name);
  const touchStop = () => onClient.run(['touch', stop]);
  try {
    say(`${client.name}: a new connection to ${vs.vip}:${vs.port} every ${o.everyMs} ms and ${o.held} held open, through ${from} (${site.where})`);
    const agentArgv = site.argvOn(client.name, [...site.lvslab, 'drill-agent', '--vip', vs.vip, '--port', String(vs.port),
      '--held', String(o.held), '--every', String(o.everyMs), '--seconds', String(AGENT_SECONDS), '--ready', ready, '--stop', stop]);
    let agentDone = false;
    const agent = createRunner({ log }).run(agentArgv, { timeoutMs: (AGENT_SECONDS + 60) * 1000 }).finally(() => { agentDone = true; });
    agent.catch(() => undefined); // awaited below; a failure before that must not be unhandled
    await waitFor('the client side started (its held connections open)', 60_000, POLL_MS, async () => {
      if (agentDone) throw new Error(`drill: the client side ended before it was ready: ${await agent.then((r) => r.stderr, (e: Error) => e.message)}`);
      return (await onClient.run(['test', '-e', ready], { okExitCodes: [1] })).exitCode === 0;
    });
    const established = async (node: string) => establishedTo((await site.runnerOf(node).run(['ipvsadm', '-L', '-n', '-c'])).stdout, vs.vip, vs.port);
    // the master's sync daemon sends a connection after a few packets, in batches: give it the time
    await waitFor(`${o.held} connections copied to ${to}`, 20_000, POLL_MS, async () => (await established(to)) >= o.held).catch(() => undefined);
    const copied = await established(to);
    // and conntrackd's copies of their conntrack entries, which the backup commits into its kernel on becoming master
    const backupConntrackd = async () =>
      conntrackdEstablishedTo((await site.runnerOf(to).run(['conntrackd', '-C', site.conntrackdConf(to), '-e', 'ct'])).stdout, vs.vip, vs.port);
    await waitFor(`${o.held} conntrack entries in ${to}'s conntrackd`, 10_000, POLL_MS, async () => (await backupConntrackd()) >= o.held).catch(() => undefined);
    const tracked = await backupConntrackd();
    say(`${o.held} connections held through ${from}; ${to} has ${copied} from the IPVS sync daemon and ${tracked} in conntrackd's external cache`);
    // the agent's timeline is on the client's clock, and ip -ts stamps each address change on its director's
    const clocks = Object.fromEntries(await Promise.all([client.name, ...directors].map(async (n) => [n, await site.clockOffset(n)] as const))) as Record<string, number>;

    // every address change on both lab links, as it happens (ip monitor), stamped where it happened
    const floating = floatingIps(lab);
    const changes: { node: string; hostMs: number; added: boolean; ip: string }[] = [];
    const monitor = ['ip', '-ts', 'monitor', 'address'];
    const watching = await Promise.all(directors.map((d) => site.countRunning(d, monitor)));
    const watches = directors.map((d) => watchLines(site.argvOn(d, ['env', 'TZ=UTC', ...monitor]), (line) => {
      const e = parseAddressLine(line, links[d]!);
      if (e !== undefined && floating.includes(e.ip)) changes.push({ node: d, hostMs: e.stampedMs === undefined ? Date.now() : e.stampedMs - clocks[d]!, added: e.added, ip: e.ip });
    }, log, 120_000));
    let takenAt = Date.now();
    try {
      await Promise.all(watches.map((w) => w.started));
      // ip monitor subscribes just after its process starts: running, and 100 ms more
      await Promise.all(directors.map((d, i) => waitFor(`\`${monitor.join(' ')}\` running on ${d}`, 30_000, POLL_MS, async () => (await site.countRunning(d, monitor)) > watching[i]!)));
      await sleep(100);
      say(o.way === 'keepalived' ? `stopping ${from}'s keepalived` : `setting ${from}'s lab link ${links[from]} down`);
      takenAt = Date.now();
      await site.takeAway(from, o.way, links[from]!);
      // told by the watches (no process on the directors while the backup takes over): the last change
      // of each floating address on the backup since the command is its addition
      const addedOn = (node: string) => floating.every((ip) => changes.filter((c) => c.node === node && c.ip === ip && c.hostMs >= takenAt - CLOCK_SLACK_MS).at(-1)?.added === true);
      await waitFor(`${to} holds the floating addresses`, 20_000, 50, () => addedOn(to)).catch(() => undefined);
      await sleep(2000);
    } finally {
      await Promise.all(watches.map((w) => w.stop()));
    }
    // the failover starts at the first change after the command (its clock read to within half a round
    // trip): on a machine reached over ssh the command itself takes seconds to arrive (sudo)
    const sinceTaken = changes.filter((c) => c.hostMs >= takenAt - CLOCK_SLACK_MS).sort((a, b) => a.hostMs - b.hostMs);
    const began = sinceTaken[0]?.hostMs;
    const events: AddressEvent[] = sinceTaken.map((c) => ({ node: c.node, at: c.hostMs - (began ?? takenAt), added: c.added, ip: c.ip }));
    const { movedMs, bothHeld } = movesOf(events, floating, vs.vip, from, to);
    say(movedMs === undefined ? `${to} did not take over within 20 s` : `${to} holds the floating addresses (${movedMs} ms)`);
    await touchStop();
    const result = JSON.parse((await agent).stdout) as DrillAgentResult;

    say(o.way === 'keepalived' ? `starting ${from}'s keepalived again` : `setting ${from}'s lab link ${links[from]} up again`);
    await site.bringBack(from, o.way, links[from]!);
    await sleep(3 * ha.advertIntervalMs + 2000);
    const after = await holders();
    const returnedMaster = after.ok ? after.master : undefined;
    // preemption gives the VIP back only to the higher priority: the first director listed
    const expected = ha.preempt && directors[0] === from ? from : to;
    const held = result.held;
    return judgeDrill({
      lab: lab.lab, way: o.way, from, to,
      ...(movedMs === undefined ? {} : { movedMs }),
      ...(began === undefined ? {} : { firstChangeMs: Math.max(0, began - takenAt) }),
      addressEvents: events.length,
      changes: events,
      bothHeld,
      newConnections: outageOf(result.timeline, (began ?? takenAt) + clocks[client.name]! - result.startedAt),
      established: {
        held: held.length, copiedToBackup: copied, inBackupConntrackd: tracked,
        survived: held.filter((h) => 'server' in h).length,
        errors: held.flatMap((h) => ('error' in h ? [h.error] : [])),
      },
      returned: { preempt: ha.preempt, expected, ...(returnedMaster === undefined ? {} : { master: returnedMaster }), ok: returnedMaster === expected },
    });
  } finally {
    await touchStop().catch(() => undefined);
  }
}
