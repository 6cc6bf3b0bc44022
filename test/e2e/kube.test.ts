/**
 * kube-proxy's IPVS mode end to end (labs/kube.yaml, in a temporary copy the tests edit and reload):
 * cluster IP from the director and node port from the client answer from both endpoints; the cluster
 * IP from the client does not, and doctor says why; service DNS from the client; trace shows the
 * article's walk for each service type; UDP through the cluster IP, and removing an endpoint removes
 * exactly its IPVS destination and conntrack entries while my-service keeps answering; removing a
 * service leaves exactly kube-proxy's reference state; cleanup removes everything; down restores the host.
 */
import test, { type ExecutionContext } from 'ava';
import { access, mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorReport } from '../../daemon/doctor/kube-types.js';
import { renderTrace } from '../../daemon/trace/render.js';
import { TRACE_TIMEOUT_S } from '../../daemon/trace/run.js';
import type { Trace } from '../../daemon/trace/types.js';
import { normalFromDumps } from '../shared/kube-dump.js';
import { validateDocument } from '../shared/schemas.js';
import { cli, hostSnapshot, inNs, lvslab, ok, root, run, until } from './helpers.js';

const DS = 'kube-ds';
const CLIENT = 'kube-client';
const CLUSTER_IP = '10.108.113.237';
const NODE_PORT = '192.168.113.101:30080';
const ECHO = '10.108.113.238';
const RS_IP: Readonly<Record<string, string>> = { rs1: '192.168.113.99', rs2: '192.168.113.98' };

let lab = '';
let labText = '';
let before: Record<string, string>;
let dsPid = 0;

const ds = (...argv: string[]) => ok(inNs(DS, argv));
/**
 * Signals one daemon. A pid of 0 (up failed before the pids were read) would signal this test's own
 * process group: a SIGSTOP there froze the whole run until the VM's time limit.
 */
const signal = (pid: number, name: NodeJS.Signals): void => {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no daemon pid to send ${name} to (${pid}): did up fail?`);
  process.kill(pid, name);
};
const curlFrom = async (ns: string, url: string): Promise<{ exit: number; body: string }> => {
  const r = await inNs(ns, ['curl', '-sS', '--max-time', '3', url]);
  return { exit: r.exitCode, body: r.stdout.trim() };
};
const answersOf = async (ns: string, url: string, n: number): Promise<Record<string, number>> => {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { exit, body } = await curlFrom(ns, url);
    const key = exit === 0 ? body : `curl exit ${exit}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
};
const reference = (name: string) => readFile(`${root}test/fixtures/kube/${name}`, 'utf8');
const udpFrom = async (ns: string, sockets: number) =>
  JSON.parse((await ok(inNs(ns, [process.execPath, `${root}dist/test/e2e/udp-client.js`, ECHO, '7', String(sockets)]))).stdout) as {
    answers: Record<string, number>;
    unanswered: number;
  };

/** Writes the lab copy with `edit` applied and asks the director's daemon to reload it. */
async function reloadWith(edit: (text: string) => string): Promise<number> {
  const next = edit(labText);
  if (next === labText) throw new Error('the edit changed nothing: the test would prove nothing');
  labText = next;
  await writeFile(lab, labText);
  signal(dsPid, 'SIGHUP');
  return Date.now();
}

test.before(async () => {
  before = await hostSnapshot();
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-kube-e2e-'));
  lab = join(dir, 'kube.yaml');
  labText = await readFile(`${root}labs/kube.yaml`, 'utf8');
  await writeFile(lab, labText);
});

test.serial('up: the director converges to kube-proxy\'s objects; the cluster IP answers from both endpoints on the director', async (t) => {
  // the daemons log at info here (the UDP test reads ds's log); KUBE_E2E_DS_LOG=debug adds every tool run
  const up = await run(['env', `LVSLAB_LOG_LEVEL=${process.env.KUBE_E2E_DS_LOG ?? 'info'}`, process.execPath, cli, 'up', lab, '--requests', '2']);
  t.log(up.stdout.split('\n').filter((l) => /changes|converged in/.test(l)).join('\n'));
  dsPid = (JSON.parse(await readFile('/run/lvslab/kube/lab.json', 'utf8')) as { pids: Record<string, number> }).pids.ds!;
  t.is(up.exitCode, 0, up.stderr + up.stdout);
  t.true(dsPid > 1);
  t.deepEqual(await answersOf(DS, `http://${CLUSTER_IP}:80/`, 4), { rs1: 2, rs2: 2 });
  const link = (await ds('ip', '-o', 'link', 'show', 'kube-ipvs0')).stdout;
  t.regex(link, /kube-ipvs0: <BROADCAST,NOARP> .* state DOWN .*link\/ether .*/);
  t.regex((await ds('ip', '-o', 'addr', 'show', 'kube-ipvs0')).stdout, /inet 10\.108\.113\.237\/32 /);
});

test.serial('from the client: the node port answers from both endpoints; the cluster IP does not, and doctor explains it', async (t) => {
  t.deepEqual(await answersOf(CLIENT, `http://${NODE_PORT}/`, 4), { rs1: 2, rs2: 2 });
  t.not((await curlFrom(CLIENT, `http://${CLUSTER_IP}:80/`)).exit, 0);
  const doctor = await lvslab('doctor', lab, '--json');
  t.is(doctor.exitCode, 0, doctor.stderr);
  const report = JSON.parse(doctor.stdout) as DoctorReport;
  t.deepEqual(validateDocument('doctor', report), [], 'docs/schemas/doctor.schema.json');
  t.deepEqual(report.findings.map((f) => [f.code, f.kind]), [['cluster-ip-from-outside', 'by-design']]);
  t.regex(report.findings[0]!.message, /10\.108\.113\.237:80 does not answer from the client client, by design/);
  t.log(report.findings[0]!.message);
});

test.serial('doctor names vs.conntrack=0 on the director and an endpoint that does not answer (daemons frozen so the faults stay)', async (t) => {
  // rs1's daemon serves its backend: frozen, it accepts connections (the kernel does) and never answers
  const rs1Pid = (JSON.parse(await readFile('/run/lvslab/kube/lab.json', 'utf8')) as { pids: Record<string, number> }).pids.rs1!;
  t.true(rs1Pid > 1);
  signal(dsPid, 'SIGSTOP');
  signal(rs1Pid, 'SIGSTOP');
  try {
    await ds('sysctl', '-w', 'net.ipv4.vs.conntrack=0');
    const doctor = await lvslab('doctor', lab, '--json');
    t.is(doctor.exitCode, 1, doctor.stdout);
    const report = JSON.parse(doctor.stdout) as DoctorReport;
    t.deepEqual(validateDocument('doctor', report), [], 'docs/schemas/doctor.schema.json');
    const findings = report.findings;
    t.true(findings.some((f) => f.code === 'vs-conntrack-off'), findings.map((f) => f.code).join(', '));
    const down = findings.filter((f) => f.code === 'endpoint-down');
    t.deepEqual(down.map((f) => f.message.split(' of ')[0]), ['endpoint rs1 192.168.113.99:8080']);
    t.log(findings.filter((f) => f.kind === 'problem').map((f) => `[${f.code}] ${f.message}`).join('\n'));
  } finally {
    signal(rs1Pid, 'SIGCONT');
    signal(dsPid, 'SIGCONT');
  }
  // a bound for a hang: ds's next run repairs it (one sysctl), seconds in the VM, more on a busy host
  await until('vs.conntrack repaired', 60_000, async () => (await ds('sysctl', '-n', 'net.ipv4.vs.conntrack')).stdout.trim() === '1');
});

test.serial('service DNS: the client resolves my-service.default.svc.cluster.local; an unknown name fails', async (t) => {
  const hosts = await inNs(CLIENT, ['getent', 'hosts', 'my-service.default.svc.cluster.local']);
  t.is(hosts.exitCode, 0, hosts.stderr);
  t.regex(hosts.stdout, /^10\.108\.113\.237\s+my-service\.default\.svc\.cluster\.local$/m);
  t.is((await inNs(CLIENT, ['getent', 'hosts', 'no-such-service.default.svc.cluster.local'])).exitCode, 2);
});

/** The trace's steps as "table:CHAIN>TARGET" (rules), "IPVS", "CONNTRACK". */
const labels = (trace: Trace): string[] =>
  trace.steps.map((s) => (s.kind === 'ipvs' ? 'IPVS' : s.kind === 'conntrack' ? 'CONNTRACK' : `${s.table}:${s.chain}>${s.target}`));

/** `want` appears in `have` in this order (other steps may come between). */
function inOrder(t: ExecutionContext, have: readonly string[], want: readonly string[]): void {
  let at = -1;
  for (const step of want) {
    const next = have.indexOf(step, at + 1);
    t.true(next > at, `step ${step} after step ${at + 1} in: ${have.join(' → ')}`);
    at = next;
  }
}

async function traceOf(t: ExecutionContext, from: string, to: string): Promise<Trace> {
  const json = await lvslab('trace', '--from', from, '--to', to, lab, '--json');
  t.is(json.exitCode, 0, json.stderr + json.stdout);
  const trace = JSON.parse(json.stdout) as Trace & { notes: string[] };
  t.deepEqual(validateDocument('trace', trace), [], 'docs/schemas/trace.schema.json');
  // the text form is renderTrace of the same data (what `lvslab trace` without --json prints)
  t.log(`lvslab trace --from ${from} --to ${to}\n${renderTrace(trace)}\n${trace.notes.map((n) => `note: ${n}`).join('\n')}`);
  return trace;
}

test.serial('trace of the node port from the client: PREROUTING → KUBE-SERVICES → KUBE-NODE-PORT → KUBE-MARK-MASQ → IPVS → MASQUERADE', async (t) => {
  const trace = await traceOf(t, 'client', NODE_PORT);
  const steps = labels(trace);
  t.is(steps[0], 'nat:PREROUTING>KUBE-SERVICES');
  inOrder(t, steps, [
    'nat:PREROUTING>KUBE-SERVICES', 'nat:KUBE-SERVICES>KUBE-NODE-PORT', 'nat:KUBE-NODE-PORT>KUBE-MARK-MASQ', 'nat:KUBE-MARK-MASQ>MARK',
    'IPVS', 'nat:POSTROUTING>KUBE-POSTROUTING', 'nat:KUBE-POSTROUTING>MASQUERADE', 'CONNTRACK',
  ]);
  const step = (label: string) => trace.steps[steps.indexOf(label)]!;
  t.regex(step('nat:KUBE-SERVICES>KUBE-NODE-PORT').rule ?? '', /-m addrtype --dst-type LOCAL/);
  t.regex(step('nat:KUBE-NODE-PORT>KUBE-MARK-MASQ').explanation, /KUBE-NODE-PORT-TCP \(dst\) — which holds 30080/);
  const answer = trace.request.answer ?? '';
  t.regex(step('IPVS').explanation, new RegExp(`192\\.168\\.113\\.101:30080 \\(rr\\) → ${RS_IP[answer]?.replace(/\./g, '\\.')}:8080`));
  t.is(steps.at(-1), 'CONNTRACK');
});

test.serial('trace of the cluster IP from the director: OUTPUT → KUBE-SERVICES → (KUBE-CLUSTER-IP src,dst) KUBE-MARK-MASQ → IPVS → MASQUERADE', async (t) => {
  const trace = await traceOf(t, 'ds', `${CLUSTER_IP}:80`);
  const steps = labels(trace);
  t.is(steps[0], 'nat:OUTPUT>KUBE-SERVICES');
  inOrder(t, steps, [
    'nat:OUTPUT>KUBE-SERVICES', 'nat:KUBE-SERVICES>KUBE-MARK-MASQ', 'nat:KUBE-MARK-MASQ>MARK',
    'IPVS', 'nat:POSTROUTING>KUBE-POSTROUTING', 'nat:KUBE-POSTROUTING>MASQUERADE', 'CONNTRACK',
  ]);
  t.regex(trace.steps[steps.indexOf('nat:KUBE-SERVICES>KUBE-MARK-MASQ')]!.rule ?? '', /--match-set KUBE-CLUSTER-IP src,dst/);
});

/** Local ports of ds's TCP sockets to host:port that are connecting or open (/proc/PID/net/tcp of a process in ds's namespace). */
async function openSocketsTo(host: string, port: number): Promise<Set<string>> {
  const hex = (ip: string) => {
    const bytes = ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0').toUpperCase());
    return (endianness() === 'LE' ? bytes.reverse() : bytes).join('');
  };
  const remote = `${hex(host)}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  const lines = (await readFile(`/proc/${dsPid}/net/tcp`, 'utf8')).split('\n').slice(1);
  // st 01 ESTABLISHED, 02 SYN_SENT
  return new Set(lines.map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === remote && (f[3] === '01' || f[3] === '02')).map((f) => f[1]!));
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

test.serial('trace amid other traffic: the same walk, and it says which counters other connections moved', async (t) => {
  // The noise is made inside trace's window on purpose: ds and the endpoints' daemons are frozen (the
  // kernel still accepts connections, nobody answers), so the traced request, once its socket shows
  // in ds's namespace (after trace's before-read), hangs until they resume; meanwhile the client
  // opens NOISE node-port connections, and only when all have connected do they resume.
  const NOISE = 5;
  const pids = (JSON.parse(await readFile('/run/lvslab/kube/lab.json', 'utf8')) as { pids: Record<string, number> }).pids;
  const frozen = [pids.ds!, pids.rs1!, pids.rs2!];
  const cue = await mkdtemp(join(tmpdir(), 'lvslab-kube-cue-'));
  const noise = inNs(CLIENT, [process.execPath, `${root}dist/test/e2e/cued-connections.js`, `http://${NODE_PORT}/`, String(NOISE), cue]);
  await until('the cued client started', 30_000, () => exists(join(cue, 'ready')), 50);
  const earlier = await openSocketsTo(CLUSTER_IP, 80);
  let traceEnded = false;
  let traced: Promise<Trace> | undefined;
  for (const pid of frozen) signal(pid, 'SIGSTOP');
  try {
    traced = traceOf(t, 'ds', `${CLUSTER_IP}:80`).finally(() => (traceEnded = true));
    await until('the traced request connecting from ds', 30_000, async () => {
      if (traceEnded) throw new Error('trace ended before its request was seen');
      return [...(await openSocketsTo(CLUSTER_IP, 80))].some((port) => !earlier.has(port));
    }, 10);
    await writeFile(join(cue, 'go'), '');
    // the traced request gives up after TRACE_TIMEOUT_S: the window closes by then at the latest
    await until('the cued connections connected', TRACE_TIMEOUT_S * 1000, () => exists(join(cue, 'connected')), 10);
  } finally {
    for (const pid of frozen.reverse()) signal(pid, 'SIGCONT');
  }
  const trace = await traced;
  const result = JSON.parse((await ok(noise)).stdout) as { connected: number; ok: number; failed: number };
  t.is(result.connected, NOISE, 'every cued connection connected while the traced request waited');
  t.true(trace.request.ok, JSON.stringify(trace.request));
  inOrder(t, labels(trace), ['nat:OUTPUT>KUBE-SERVICES', 'nat:KUBE-SERVICES>KUBE-MARK-MASQ', 'IPVS', 'nat:KUBE-POSTROUTING>MASQUERADE', 'CONNTRACK']);
  // the cued connections are masqueraded too: they passed the walk's nat rules after the before-read
  t.true(trace.noise.otherNewConnections >= NOISE, JSON.stringify(trace.noise));
  // they also moved KUBE-NODE-PORT's set rule; the cluster IP's packet is not in that set
  t.false(labels(trace).includes('nat:KUBE-NODE-PORT>KUBE-MARK-MASQ'), 'a rule our request cannot match is not on its path');
  const nodePortMoves = trace.otherMoves.filter((o) => o.table === 'nat' && o.chain === 'KUBE-NODE-PORT');
  t.true(nodePortMoves.length > 0, JSON.stringify(trace.otherMoves));
  for (const m of nodePortMoves) t.regex(m.reason, /does not match `--match-set KUBE-NODE-PORT-TCP dst`/);
  t.true(trace.noise.summary.length > 0);
  t.is(result.ok, NOISE, JSON.stringify(result));
  t.log(`noise: ${trace.noise.summary.join(' | ')}; the cued connections: ${JSON.stringify(result)}`);
});

const udpDestinations = async (): Promise<string[]> =>
  (await ds('ipvsadm', '-S', '-n')).stdout.split('\n').filter((l) => l.startsWith(`-a -u ${ECHO}:7 `)).map((l) => l.split(' ')[4] ?? '');
const udpFlowsTo = async (rsIp: string): Promise<number> =>
  (await ds('conntrack', '-L', '-p', 'udp', '--dport', '7', '--reply-src', rsIp)).stdout.split('\n').filter((l) => l.startsWith('udp')).length;

type DsLogLine = {
  time: number; msg: string; argv?: string[]; durationMs?: number; changes?: string[];
  steps?: { step: string; lines: number; ms: number }[];
  timings?: { receivedAt: number; readMs: number; planMs: number; applyMs: number };
};

/**
 * Where one removal's time went, from the test's SIGHUP to ds's log line: the signal reaching ds's
 * handler, reading the lab, planning, each step's tools, the ledger around them, and the log line.
 */
function removalBreakdown(sent: number, line: DsLogLine): string {
  const t = line.timings;
  if (!t) return 'no timings logged';
  const steps = line.steps ?? [];
  const inSteps = steps.reduce((sum, s) => sum + s.ms, 0);
  const applied = t.receivedAt + t.readMs + t.planMs + t.applyMs;
  return [
    `signal→handler ${t.receivedAt - sent}`, `read ${t.readMs}`, `plan ${t.planMs}`,
    ...steps.map((s) => `${s.step} ${s.ms}`), `ledger ${t.applyMs - inSteps}`, `→log ${line.time - applied}`,
  ].join(', ');
}
/**
 * ds's log lines (JSON) so far. Each call reads only what ds wrote since the last (the test polls every
 * 20 ms while ds works against the clock: parsing the whole log each time took CPU from it); a line
 * still half written is read again next time.
 */
const dsLog = (() => {
  let lines: DsLogLine[] = [];
  let offset = 0;
  let inode = -1;
  return async (): Promise<DsLogLine[]> => {
    const file = await open('/run/lvslab/kube/ds.log', 'r');
    try {
      const { size, ino } = await file.stat();
      if (ino !== inode || size < offset) {
        // a new file (ds started again): read it from its start
        [lines, offset, inode] = [[], 0, ino];
      }
      if (size === offset) return lines;
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      const whole = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      offset += whole;
      for (const l of buffer.subarray(0, whole).toString('utf8').split('\n')) {
        if (!l.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(l) as DsLogLine);
        } catch {
          // not a JSON line: not one of ds's
        }
      }
      return lines;
    } finally {
      await file.close();
    }
  };
})();

/** ds's log line of a reload's direct IPVS write (logged once its ipvsadm and conntrack -D have returned), the first after `since`. */
async function directWriteAfter(since: number): Promise<DsLogLine> {
  let line: DsLogLine | undefined;
  await until('ds logged the reload\'s direct IPVS changes', 20_000, async () => {
    line = (await dsLog()).find((l) => l.time >= since && l.msg.endsWith('IPVS changes written directly'));
    return line !== undefined;
  }, 20);
  return line!;
}

/** Until ds has finished a reconcile that started after `since` (its state file's updatedAt). */
const reconciledAfter = (since: number): Promise<number> =>
  until('ds reconciled after the reload', 30_000, async () => {
    const state = JSON.parse(await readFile('/run/lvslab/kube/ds.state.json', 'utf8')) as { updatedAt: string; last?: { superseded?: true } };
    return Date.parse(state.updatedAt) > since && state.last?.superseded === undefined;
  }, 50);

/** What ds logged from `from` to `to` (ms after `from`), with every tool run when it logs at debug. */
const dsWindow = async (from: number, to: number): Promise<string> =>
  (await dsLog()).filter((l) => l.time >= from - 100 && l.time <= to)
    .map((l) => `+${l.time - from} ms ${l.msg}${l.argv === undefined ? '' : ` ${l.argv.join(' ').slice(0, 80)} (${l.durationMs} ms)`}`).join('\n');

type LoadResult = {
  startedAt: number;
  sent: number;
  ok: number;
  failed: number;
  answers: Record<string, number>;
  failures: Record<string, number>;
  timeline: { at: number; ms: number; ok: boolean; failure?: string }[];
};

/** Each failed request of `load`: when it was sent, the reload before it, and ds's log from that reload to 3 s after the request. */
async function failedRequests(load: LoadResult, reloads: readonly { at: number; what: string }[]): Promise<string> {
  const out: string[] = [];
  for (const f of load.timeline.filter((r) => !r.ok)) {
    const at = load.startedAt + f.at;
    const before = reloads.filter((r) => r.at <= at).at(-1);
    const since = before === undefined ? 'before the first reload' : `${at - before.at} ms after ${before.what}`;
    out.push(`a request failed (${f.failure ?? 'no answer'}), sent ${since}; ds's log from then:\n${await dsWindow(before?.at ?? at - 3000, at + 3000)}`);
  }
  return out.join('\n');
}

const RS1_UDP = '    targetPort: 9007\n    endpoints:\n      - { node: rs1 }\n';
const NO_RS1_UDP = '    targetPort: 9007\n    endpoints:\n';
const REMOVALS = 20;
/**
 * my-service's load during the removals: each request's timeout (load-client's idle timeout). "Keeps
 * answering" means every request is answered; how fast is what the emulated VM allows. On a quiet
 * machine its answered requests took median 68 ms, p99 753 ms, max 879 ms (no SYN retransmitted: that
 * alone takes 1 s), all CPU time under emulation while ds reconciles and the test starts its UDP
 * clients; CI's slower machine had 5 of 552 fail at the former 2 s, with no reason recorded. 10 s, as
 * the soak's load: a refused, reset or dropped connection still fails, a slow CPU does not.
 */
const LOAD_TIMEOUT_MS = 10_000;

test.serial(`UDP echo through the cluster IP; removing rs1 from echo-udp removes its destination and flows within 1 s of SIGHUP (p95 of ${REMOVALS} removals), my-service keeps answering`, async (t) => {
  t.deepEqual(await udpFrom(DS, 8), { answers: { rs1: 4, rs2: 4 }, unanswered: 0 });
  t.true((await udpFlowsTo(RS_IP.rs1!)) > 0, 'UDP flows toward rs1 before the change');
  const myServiceBefore = (await ds('ipvsadm', '-S', '-n')).stdout.split('\n').filter((l) => l.includes(':8080')).sort();
  const loadDir = await mkdtemp(join(tmpdir(), 'lvslab-kube-load-'));
  const [stop, started] = [join(loadDir, 'stop'), join(loadDir, 'started')];
  // bounded: 5 a second until the removals are done, at most 300 s
  const load = inNs(CLIENT, [process.execPath, `${root}dist/test/e2e/load-client.js`, `http://${NODE_PORT}/`, '5', '300', stop, String(LOAD_TIMEOUT_MS), started]);
  // node's start takes seconds of the VM's CPU: the first removal, 3 s after the load was started, was
  // one of the two slowest in 4 of 6 runs (808, 892, 1451, 1616 ms). The removals begin once the load's
  // first request has its outcome.
  await until('my-service\'s load has sent its first request', 60_000, async () => access(started).then(() => true, () => false), 100);
  const removalMs: number[] = [];
  const breakdowns: string[] = [];
  const deletedByConntrack: number[] = [];
  const reloads: { at: number; what: string }[] = [];
  try {
    for (let i = 0; i < REMOVALS; i++) {
      if (i > 0) {
        // rs1 back, and new flows to it (rr: a datagram from each of 4 sockets reaches each endpoint); the
        // next removal waits for the reconcile this reload started (a reload seldom follows one within seconds)
        const added = await reloadWith((text) => text.replace(NO_RS1_UDP, RS1_UDP));
        reloads.push({ at: added, what: `reload ${reloads.length + 1} (rs1 back)` });
        await directWriteAfter(added);
        const [again] = await Promise.all([udpFrom(DS, 4), reconciledAfter(added)]);
        t.true((again.answers.rs1 ?? 0) > 0, `try ${i + 1}: rs1 answers again before its removal: ${JSON.stringify(again)}`);
      }
      const sent = await reloadWith((text) => text.replace(RS1_UDP, NO_RS1_UDP));
      reloads.push({ at: sent, what: `reload ${reloads.length + 1} (rs1 removed)` });
      const line = await directWriteAfter(sent);
      // the log line is written when ds's conntrack -D has returned: its destination and flows are gone then
      t.deepEqual(line.changes, [`ipvs udp:${ECHO}:7 → ${RS_IP.rs1}:9007: delete`]);
      // Gone by then: the destination, and rs1's flows (this kernel's IPVS drops a deleted destination's
      // connections and their conntrack entries itself, with expire_nodest_conn=1; conntrack -D deletes
      // what is left on kernels that do not): both read after the log line
      t.false((await udpDestinations()).includes(`${RS_IP.rs1}:9007`), `try ${i + 1}: rs1's destination is still there`);
      t.is(await udpFlowsTo(RS_IP.rs1!), 0, `try ${i + 1}: flows toward rs1 left`);
      deletedByConntrack.push(line.steps?.find((s) => s.step === 'conntrack')?.lines ?? 0);
      removalMs.push(line.time - sent);
      breakdowns.push(`try ${i + 1}: ${line.time - sent} ms = ${removalBreakdown(sent, line)}`);
      if (line.time - sent > 1000) t.log(`try ${i + 1}: ${line.time - sent} ms; ds's log from SIGHUP to the direct write:\n${await dsWindow(sent, line.time)}`);
    }
  } finally {
    await writeFile(stop, '');
  }
  const sorted = [...removalMs].sort((x, y) => x - y);
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  t.log(`SIGHUP → rs1's destination and UDP flows gone (ds's direct write returned), ${REMOVALS} removals: min ${sorted[0]} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, p95 ${p95} ms, max ${sorted.at(-1)} ms; all: ${removalMs.join(' ')}; flows conntrack -D deleted in each: ${deletedByConntrack.join(' ')}`);
  t.log(`where each removal's time went (ms):\n${breakdowns.join('\n')}`);
  t.true(p95 <= 1000, `p95 ${p95} ms`);
  t.deepEqual(await udpDestinations(), [`${RS_IP.rs2}:9007`]);
  t.deepEqual((await ds('ipvsadm', '-S', '-n')).stdout.split('\n').filter((l) => l.includes(':8080')).sort(), myServiceBefore);
  t.deepEqual(await udpFrom(DS, 4), { answers: { rs2: 4 }, unanswered: 0 });
  const result = JSON.parse((await ok(load)).stdout) as LoadResult;
  t.log(`my-service during the removals: ${JSON.stringify({ sent: result.sent, ok: result.ok, failed: result.failed, answers: result.answers, failures: result.failures })}`);
  const ms = result.timeline.filter((r) => r.ok).map((r) => r.ms).sort((x, y) => x - y);
  t.log(`my-service's answered requests took: median ${ms[Math.floor(ms.length / 2)]} ms, p99 ${ms[Math.ceil(0.99 * ms.length) - 1]} ms, max ${ms.at(-1)} ms (timeout ${LOAD_TIMEOUT_MS} ms)`);
  if (result.failed > 0) t.log(await failedRequests(result, reloads));
  t.is(result.failed, 0);
  t.true(result.ok > 0);
});

test.serial('removing echo-udp removes exactly its set entries, IPVS service and address: the director equals kube-proxy\'s reference dump', async (t) => {
  const start = labText.indexOf('  # ClusterIP only, over UDP');
  await reloadWith((text) => text.slice(0, start));
  await until('echo-udp gone', 15_000, async () => !(await ds('ipvsadm', '-S', '-n')).stdout.includes(ECHO) && !(await ds('ip', '-o', 'addr', 'show', 'kube-ipvs0')).stdout.includes(ECHO));
  const got = normalFromDumps((await ds('iptables-save')).stdout, (await ds('ipset', 'save')).stdout, (await ds('ipvsadm', '-S', '-n')).stdout);
  const want = normalFromDumps(await reference('iptables-save.txt'), await reference('ipset-save.txt'), await reference('ipvsadm-S-n.txt'));
  t.deepEqual(got, want);
  t.deepEqual((await ds('ip', '-o', 'addr', 'show', 'kube-ipvs0')).stdout.match(/inet \S+/g), [`inet ${CLUSTER_IP}/32`]);
});

test.serial('cleanup removes every kube object of the director; down leaves the host as it was', async (t) => {
  signal(dsPid, 'SIGSTOP');
  try {
    await ok(lvslab('cleanup', '--node', 'ds', lab));
    t.false((await ds('iptables-save')).stdout.includes('KUBE-'));
    t.is((await ds('ipset', 'list', '-n')).stdout.trim(), '');
    t.is((await ds('ipvsadm', '-S', '-n')).stdout.trim(), '');
    t.not((await inNs(DS, ['ip', 'link', 'show', 'kube-ipvs0'])).exitCode, 0);
  } finally {
    signal(dsPid, 'SIGCONT');
  }
  await ok(lvslab('down', lab));
  t.deepEqual(await hostSnapshot(), before);
  t.not((await run(['ls', '/etc/netns/kube-client'])).exitCode, 0);
});
