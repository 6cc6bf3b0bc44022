/**
 * The daemon's wiring, with a fake runner (no kernel touched) and health checks against listeners on
 * loopback addresses this test opens: /metrics gets its real-server families from the health monitor
 * and `ipvsadm -Ln`, /v1/state and /healthz show a failed run as data, kernel reads are shared.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseLab } from '../../../daemon/config/load.js';
import { Metrics } from '../../../daemon/metrics/metrics.js';
import { startDaemon, type Daemon } from '../../../daemon/service/daemon.js';
import type { Notifier } from '../../../daemon/systemd/notify.js';
import { fakeRunner, type Reply } from '../kernel/helpers.js';
import { validateDocument } from '../../shared/schemas.js';
import { parseExposition, samples } from '../metrics/helpers.js';

const notifier: Notifier = { enabled: false, ready() {}, status() {}, stopping() {}, startWatchdog: () => 0, close() {} };

/** rs1 (127.0.0.2) answers its tcp check, rs2 (127.0.0.3) refuses it; ds keeps its API off. */
const labText = (port: number) => `lab: wiring
nodes:
  ds:  { role: director, address: 127.0.0.1/8 }
  rs1: { role: real-server, address: 127.0.0.2/8 }
  rs2: { role: real-server, address: 127.0.0.3/8 }
virtualServers:
  - name: web
    vip: 10.10.0.1
    port: 8410
    protocol: tcp
    scheduler: rr
    forwarding: nat
    # rs1 listens on 127.0.0.2, rs2 (127.0.0.3) refuses at once: a false DOWN of rs1 would take two
    # connects to a local listener in a row each slower than 800 ms (a 50 ms timeout and fall 1 flapped
    # under load: one CI run saw rs1 unhealthy)
    healthCheck: { type: tcp, interval: 1s, timeout: 800ms, rise: 1, fall: 2 }
    realServers:
      - { node: rs1, port: ${port}, weight: 1 }
      - { node: rs2, port: ${port}, weight: 1 }
blocklists:
  - name: blacklist
    type: hash:ip
    entries: [192.0.2.77]
    match: src
`;

/** What `ipvsadm -Ln --exact` prints for the lab's service: rs1 at weight 1 with connections, rs2 at 0. */
const ipvsList = (port: number) => `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.10.0.1:8410 rr
  -> 127.0.0.2:${port}             Masq    1      3          4
  -> 127.0.0.3:${port}             Masq    0      0          1
`;

/** What `ipvsadm -L -n --stats --exact` prints for it: rs1's traffic counters, rs2's, and a service of others (not the lab's). */
const ipvsStats = (port: number) => `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  10.10.0.1:8410                      5       40       30     2900     4100
  -> 127.0.0.2:${port}                   4       31       24     2240     3300
  -> 127.0.0.3:${port}                   1        9        6      660      800
TCP  192.0.2.1:80                        7        7        7        7        7
  -> 192.0.2.2:80                        7        7        7        7        7
`;

interface Wiring { daemon: Daemon; metrics: Metrics; calls: readonly { argv: readonly string[] }[]; port: number }

interface WiringOptions {
  /** The lab as the daemon starts with it, made from the wiring lab's text. */
  readonly lab?: (text: string) => string;
  /** The state file an earlier daemon left (written before the start), given the listener's port. */
  readonly previousState?: (port: number) => object;
}

async function wiring(t: { teardown(fn: () => Promise<void>): void }, reply: (argv: readonly string[], port: number) => Reply = () => ({}), options: WiringOptions = {}): Promise<Wiring> {
  const listener: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve));
  const port = (listener.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-daemon-'));
  const parsed = parseLab((options.lab ?? ((text) => text))(labText(port)), 'wiring.yaml');
  if (options.previousState !== undefined) await writeFile(join(dir, 'state.json'), JSON.stringify(options.previousState(port)));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const reads: Readonly<Record<string, string>> = { 'ipvsadm -Ln --exact': ipvsList(port), 'ipvsadm -L -n --stats --exact': ipvsStats(port) };
  const { runner, calls } = fakeRunner((argv) => { const read = reads[argv.join(' ')]; return read !== undefined ? { stdout: read } : reply(argv, port); });
  const metrics = new Metrics();
  const daemon = await startDaemon(parsed.lab, {
    configPath: join(dir, 'wiring.yaml'), nodeName: 'ds', statePath: join(dir, 'state.json'), runner, log: pino({ level: 'silent' }), notifier, metrics,
  });
  t.teardown(async () => {
    await daemon.stop();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return { daemon, metrics, calls, port };
}

const until = async (what: string, ms: number, ok: () => Promise<boolean>): Promise<void> => {
  const deadline = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('after a run, /metrics has real-server weights and connections from ipvsadm -Ln, traffic counters of the lab\'s services only from ipvsadm --stats, and health, check durations and transitions from the monitor', async (t) => {
  const { daemon, metrics, port } = await wiring(t);
  t.true((await daemon.trigger()).ok);
  const rs1 = `virtual_server=web,real_server=127.0.0.2:${port}`;
  const rs2 = `virtual_server=web,real_server=127.0.0.3:${port}`;
  const scrape = async () => parseExposition(await metrics.text());
  // real servers start healthy (keepalived's default); rs2 is DOWN after its second refused connect, about 1 s in
  await until('rs2 DOWN by its health check', 15_000, async () => samples(await scrape(), 'lvslab_real_server_healthy')[rs2] === '0');
  const families = await scrape();
  t.deepEqual(samples(families, 'lvslab_real_server_healthy'), { [rs1]: '1', [rs2]: '0' });
  t.deepEqual(samples(families, 'lvslab_real_server_weight'), { [rs1]: '1', [rs2]: '0' });
  t.deepEqual(samples(families, 'lvslab_ipvs_connections'), {
    [`${rs1},state=active`]: '3', [`${rs1},state=inactive`]: '4', [`${rs2},state=active`]: '0', [`${rs2},state=inactive`]: '1',
  });
  t.true(Number(samples(families, 'lvslab_changes_applied_total')['kind=vs-add']) >= 1, 'the run\'s changes are counted');
  t.deepEqual(samples(families, 'lvslab_real_server_connections_total'), { [rs1]: '4', [rs2]: '1' });
  t.deepEqual(samples(families, 'lvslab_real_server_bytes_total'), {
    [`${rs1},direction=in`]: '2240', [`${rs1},direction=out`]: '3300', [`${rs2},direction=in`]: '660', [`${rs2},direction=out`]: '800',
  });
  t.deepEqual(samples(families, 'lvslab_health_transitions_total'), { [`${rs2},to=down`]: '1' });
  // a labelled histogram's count, read from its line (parse-prometheus-text-format drops its labels)
  const text = await metrics.text();
  const checks = (server: string, result: string) =>
    Number(new RegExp(`^lvslab_health_check_duration_seconds_count\\{virtual_server="web",real_server="${server}:${port}",result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  t.true(checks('127.0.0.2', 'ok') >= 1, 'rs1\'s checks that passed');
  t.true(checks('127.0.0.3', 'failed') >= 2, 'rs2\'s two refused connects');
  // the first run, then one for rs2's transition and any the lab's schedule started meanwhile: all ok
  const runs = samples(families, 'lvslab_sync_runs_total');
  t.true(Number(runs['result=ok']) >= 1, JSON.stringify(runs));
  t.like(runs, { 'result=failed': '0', 'result=superseded': '0' });
  t.not(samples(families, 'lvslab_sync_last_queued_timestamp_seconds')[''], '0');
});

test('8 concurrent /v1/state reads and a scrape share one ipvsadm -Ln run', async (t) => {
  const { daemon, metrics, calls } = await wiring(t);
  const ipvsReads = () => calls.filter((c) => c.argv.join(' ') === 'ipvsadm -Ln --exact').length;
  const before = ipvsReads();
  const docs = await Promise.all([...Array.from({ length: 8 }, () => daemon.status()), metrics.text()]);
  t.is(ipvsReads() - before, 1);
  t.is(docs.length, 9);
});

test('a failed apply: /v1/state and /healthz give the tool, argv and exit code, not its stderr nor the batch (the blocklist\'s entries)', async (t) => {
  const stderr = 'ipset v7.19: Error in line 2: Element cannot be added to the set: 192.0.2.77 is already in\n';
  const { daemon } = await wiring(t, (argv) => (argv[0] === 'ipset' && argv[1] === 'restore' ? { exitCode: 1, stderr } : {}));
  const result = await daemon.trigger();
  t.false(result.ok);
  t.regex(result.error ?? '', /192\.0\.2\.77/, 'the run\'s own error (logged) keeps the detail');
  const doc = await daemon.status();
  const text = JSON.stringify(doc);
  for (const secret of ['192.0.2.77', 'Element cannot be added', 'batch', 'add LVSLAB-blacklist']) t.false(text.includes(secret), `/v1/state holds ${secret}`);
  t.deepEqual(doc.lastReconcile?.error, { reason: "ipset exited 1; its stderr is in the daemon's log", argv: ['ipset', 'restore', '-exist'], exitCode: 1 });
  t.deepEqual(validateDocument('state', JSON.parse(JSON.stringify(doc))), [], 'docs/schemas/state.schema.json');
  t.deepEqual(daemon.healthy(), { ok: false, reason: "ipset exited 1; its stderr is in the daemon's log" });
});

test('/v1/conntrack asks conntrack for the lab\'s addresses only (-d), never for every flow', async (t) => {
  const { daemon, calls } = await wiring(t);
  const reply = await daemon.conntrack();
  const runs = calls.filter((c) => c.argv[0] === 'conntrack').map((c) => c.argv.join(' '));
  t.deepEqual(runs, ['conntrack -L -p tcp -d 10.10.0.1']);
  t.deepEqual(reply, { flows: [], total: 0, omitted: 0, limit: 1000 });
});

// rs2 has left the lab (drain timeout 30 s); IPVS still holds it at weight 0 with one inactive connection (ipvsList)
const withoutRs2 = (text: string) => `drain: { timeout: 30s }\n${text.replace(/^ {6}- \{ node: rs2,.*\n/m, '')}`;
const rs2AtWeight0 = (argv: readonly string[], port: number): Reply => (argv.join(' ') === 'ipvsadm -S -n'
  ? { stdout: `-A -t 10.10.0.1:8410 -s rr\n-a -t 10.10.0.1:8410 -r 127.0.0.2:${port} -m -w 1\n-a -t 10.10.0.1:8410 -r 127.0.0.3:${port} -m -w 0\n` }
  : {});
const rs2Key = (port: number) => `10.10.0.1:8410/tcp -> 127.0.0.3:${port}`;
/** The state file of a daemon of LAB on ds that was killed while rs2 was draining since SINCE. */
const killedWhileDraining = (lab: string, since: number) => (port: number) => ({
  lab, node: 'ds', pid: 1, runs: 7, converged: true, updatedAt: new Date(since).toISOString(),
  last: { node: 'ds', ok: true, changes: [], countsByKind: {}, steps: [], remaining: 0, remainingChanges: [], durationMs: 1, draining: [], drainStarts: { [rs2Key(port)]: since } },
});

test('a restart mid-drain keeps the drain\'s start (from the state file): a real server at weight 0 past its drain timeout before the restart is deleted by the first run', async (t) => {
  const previousState = killedWhileDraining('wiring', Date.now() - 60_000);
  const { daemon, port } = await wiring(t, rs2AtWeight0, { lab: withoutRs2, previousState });
  const result = await daemon.trigger();
  t.true(result.ok, result.error);
  t.true(result.changes.includes(`ipvs tcp:10.10.0.1:8410 → 127.0.0.3:${port}: delete`), result.changes.join('\n'));
  t.deepEqual(result.draining, []);
  t.deepEqual(result.drainStarts, {});
});

test('a state file of another lab gives no drain starts: the removed real server starts draining now', async (t) => {
  const before = Date.now();
  const { daemon, port } = await wiring(t, rs2AtWeight0, { lab: withoutRs2, previousState: killedWhileDraining('other', before - 60_000) });
  const result = await daemon.trigger();
  t.false(result.changes.some((c) => c.includes('127.0.0.3') && c.endsWith('delete')), result.changes.join('\n'));
  t.true((result.drainStarts[rs2Key(port)] ?? 0) >= before, JSON.stringify(result.drainStarts));
  // a run and a /v1/state with a real server draining hold to docs/schemas (plan/apply --json, GET /v1/state)
  t.deepEqual(validateDocument('reconcile', JSON.parse(JSON.stringify(result))), []);
  const state = await daemon.status();
  t.truthy(state.virtualServers[0]?.realServers.find((r) => r.port === port && r.address === '127.0.0.3')?.drainingSince);
  t.deepEqual(validateDocument('state', JSON.parse(JSON.stringify(state))), []);
});
