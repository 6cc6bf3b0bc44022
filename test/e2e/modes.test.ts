/**
 * The article's three forwarding modes side by side. `compare` brings the NAT, DR and TUN labs up one
 * after the other: both real servers answer in each, each seeing the client's own address in DR and
 * TUN (no SNAT) and the director's in NAT; in DR and TUN the director's conntrack holds only the
 * request direction and IPVS counts no packet back, and TUN's ipip devices take in what IPVS sent them.
 * Then DR and TUN up in turn: trace, and each requirement of the mode broken by hand while the node's
 * daemon is frozen, `doctor` naming it; thawed, the daemons repair what is theirs. Down leaves the host
 * as it was. One lab at a time: with two up, eight daemons' runs on two emulated cores left probes
 * without an answer within their 3 s.
 */
import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import type { Finding } from '../../daemon/doctor/kube-types.js';
import { renderCompare, type CompareReport } from '../../daemon/verify/compare.js';
import type { VerifyReport } from '../../daemon/verify/types.js';
import { validateDocument } from '../shared/schemas.js';
import { hostSnapshot, inNs, lvslab, ok, root, run, until } from './helpers.js';

const CLIENT = '192.168.113.102';
const DIRECTOR = '192.168.113.101';
const labPath = (mode: string): string => `${root}labs/${mode}.yaml`;
const MODES = ['dr', 'tun'] as const;
let before: Record<string, string> = {};

async function verifyJson(mode: string, requests: number): Promise<{ exitCode: number; report: VerifyReport }> {
  const r = await lvslab('verify', labPath(mode), '--json', '--requests', String(requests));
  return { exitCode: r.exitCode, report: JSON.parse(r.stdout) as VerifyReport };
}

async function doctor(t: ExecutionContext, mode: string): Promise<Finding[]> {
  const r = await lvslab('doctor', labPath(mode), '--json');
  const report: unknown = JSON.parse(r.stdout);
  t.deepEqual(validateDocument('doctor', report), [], 'docs/schemas/doctor.schema.json');
  return (report as { findings: Finding[] }).findings.filter((f) => f.kind === 'problem');
}

/** Stops (or continues) the daemons of these nodes, so that a fault stays in place while doctor looks at it. */
async function signal(mode: string, nodes: readonly string[], sig: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  const { pids } = JSON.parse(await readFile(`/run/lvslab/${mode}/lab.json`, 'utf8')) as { pids: Record<string, number> };
  for (const node of nodes) {
    const pid = pids[node];
    if (!(pid !== undefined && pid > 1)) throw new Error(`no daemon pid for ${mode}/${node}`);
    process.kill(pid, sig);
  }
}

/** Breaks something with the nodes' daemons frozen; doctor must name exactly `codes` ("code node", in order). */
async function named(t: ExecutionContext, mode: string, frozen: readonly string[], fault: () => Promise<unknown>, codes: readonly string[]): Promise<void> {
  await signal(mode, frozen, 'SIGSTOP');
  try {
    await fault();
    const problems = await doctor(t, mode);
    t.deepEqual(problems.map((f) => `${f.code} ${/^(rs\d)\b/.exec(f.message)?.[1] ?? f.message}`), [...codes], problems.map((f) => f.evidence).join('\n'));
  } finally {
    await signal(mode, frozen, 'SIGCONT');
  }
}

/** Waits until doctor finds nothing in MODE's lab: the daemons thawed after a fault have repaired it. */
const repairedByTheDaemons = (t: ExecutionContext, mode: string): Promise<number> =>
  until(`${mode}: the fault repaired by the daemons`, 60_000, async () => (await doctor(t, mode)).length === 0, 1000);

const arping = async (ns: string): Promise<string> => (await run(['ip', 'netns', 'exec', ns, 'busybox', 'arping', '-c', '2', '-w', '3', '-I', 'eth0', '10.10.0.1'])).stdout;
const macOf = async (ns: string): Promise<string> =>
  ((JSON.parse((await ok(inNs(ns, ['ip', '-j', 'link', 'show', 'dev', 'eth0']))).stdout) as { address: string }[])[0]!.address).toUpperCase();

test.before(async () => {
  // a TUN real server loads ipip, and the kernel then gives every namespace a tunl0 (down), this one
  // too: loaded first, so that the snapshot compares what lvslab itself makes
  await ok(run(['modprobe', 'ipip']));
  before = await hostSnapshot();
});

test.after.always(async () => {
  for (const mode of MODES) await lvslab('down', labPath(mode));
});

test.serial('compare: NAT, DR and TUN each brought up, verified and taken down in turn; DR and TUN answered from the VIP to the client\'s own address, the director kept the requests only and counted none back; TUN\'s ipip devices took in what IPVS sent', async (t) => {
  const r = await lvslab('compare', '--requests', '8', '--json');
  const report = JSON.parse(r.stdout) as CompareReport & { verify: VerifyReport[] };
  t.deepEqual(validateDocument('compare', report), [], 'docs/schemas/compare.schema.json');
  const failed = report.verify.filter((v) => !v.ok);
  t.is(r.exitCode, 0, `${r.stderr}\n${JSON.stringify(failed.map((v) => v.virtualServers.map((s) => ({ probes: s.probes, causes: s.causes, notes: s.notes }))))}`);
  t.log(renderCompare(report));
  t.deepEqual(report.labs.map((l) => `${l.forwarding} ${l.lab} ${l.ok}`), ['nat seed true', 'dr dr true', 'tun tun true']);
  const row = (title: string) => report.rows.find((x) => x.title === title)?.values ?? [];
  t.deepEqual(row('the real server saw the client as'), [`${DIRECTOR} (the director) in 8/8`, `${CLIENT} (the client itself) in 8/8`, `${CLIENT} (the client itself) in 8/8`]);
  t.regex(row('the director rewrites')[0]!, /^destination 10\.10\.0\.1:8410 → 192\.168\.113\.9[89]:8080 \(DNAT\), source 192\.168\.113\.102 → 192\.168\.113\.101 \(SNAT\)$/);
  t.regex(row('packets through the director (IPVS)')[0]!, /^\d+ in \(client → real servers\), [1-9]\d* out \(back\)$/);
  for (const [i, mode] of [[1, 'dr'], [2, 'tun']] as const) {
    const verify = report.verify[i]!;
    const web = verify.virtualServers[0]!;
    t.deepEqual(web.distribution, { rs1: 4, rs2: 4 }, mode);
    t.deepEqual([...new Set(web.probes.map((p) => p.peer))], [CLIENT], `${mode}: no SNAT, the real servers saw the client`);
    t.is(web.directorFlowsMatched, 8, `${mode}: the director keeps an entry for each request`);
    t.is(web.clientFlowsMatched, 8, mode);
    for (const flow of web.flows) {
      t.is(flow.forwarding, mode);
      t.regex(flow.text, /the director saw only the request direction \(reply tuple untouched, \[UNREPLIED\]\); the client's entry holds the reply from the VIP 10\.10\.0\.1$/, flow.text);
    }
    t.is(web.traffic?.outPkts, 0, `${mode}: no reply crossed the director`);
    t.true((web.traffic?.inPkts ?? 0) >= 8 * 3, `${mode}: at least the SYN, the request and the FIN of each request reached IPVS`);
    t.regex(row('conntrack on the director')[i]!, /reply 10\.10\.0\.1:8410 → 192\.168\.113\.102:\d+ \[UNREPLIED\]/);
  }
  const tunnels = report.verify[2]!.tunnels ?? {};
  t.deepEqual(Object.keys(tunnels).sort(), ['rs1', 'rs2']);
  for (const [node, seen] of Object.entries(tunnels)) t.is(seen.decapsulated, seen.sent, `${node}: its ipip device took in every packet IPVS sent it`);
  t.is((await run(['ip', 'netns', 'list'])).stdout, '', 'compare took down each lab it brought up');
});

/** Brings the lab up alone (up's exit code: verify passed and doctor found no problem), then `work`, then down. */
async function withLab(t: ExecutionContext, mode: 'dr' | 'tun', work: () => Promise<void>): Promise<void> {
  const up = await lvslab('up', labPath(mode), '--requests', '4');
  t.is(up.exitCode, 0, up.stdout + up.stderr);
  try {
    const r = await lvslab('trace', labPath(mode), '--from', 'client', '--to', '10.10.0.1:8410', '--json');
    const trace = JSON.parse(r.stdout) as { steps: { kind: string; explanation: string }[] };
    t.deepEqual(validateDocument('trace', trace), [], 'docs/schemas/trace.schema.json');
    const said = mode === 'dr'
      ? /MAC rewritten to ([0-9a-f]{2}:){5}[0-9a-f]{2}, the packet still to 10\.10\.0\.1$/
      : /encapsulated to 192\.168\.113\.9[89], the packet inside still to 10\.10\.0\.1$/;
    const ipvs = trace.steps.find((step) => step.kind === 'ipvs');
    t.regex(ipvs?.explanation ?? '', said, r.stdout);
    t.log(`${mode}: trace: ${ipvs?.explanation}`);
    await work();
    const ms = await until(`${mode} repaired`, 60_000, async () => (await verifyJson(mode, 4)).exitCode === 0 && (await doctor(t, mode)).length === 0, 1000);
    t.log(`${mode}: repaired and verified ${ms} ms after the last thaw`);
  } finally {
    await ok(lvslab('down', labPath(mode)));
  }
}

test.serial('DR: trace says the MAC; doctor names rs1 answering ARP (and arping gets its MAC), the VIP missing, rs1 off the segment; thawed, the daemons repair theirs', async (t) => {
  await withLab(t, 'dr', async () => {
    const rs1Mac = await macOf('dr-rs1');
    t.false((await arping('dr-client')).toUpperCase().includes(rs1Mac), 'arp_ignore=1: rs1 stays silent');
    await named(t, 'dr', ['rs1'], async () => {
      await ok(inNs('dr-rs1', ['sysctl', '-w', 'net.ipv4.conf.all.arp_ignore=0']));
      const heard = await arping('dr-client');
      t.log(`busybox arping 10.10.0.1 from the client, rs1's MAC ${rs1Mac}:\n${heard}`);
      t.true(heard.toUpperCase().includes(rs1Mac), 'rs1 answers ARP for the VIP');
    }, ['rs-answers-arp rs1']);
    // each fault is repaired by rs1's daemon before the next is made: doctor would name both otherwise
    // (a CI run made the route fault while rs1's next scheduled run, held back by its CPU budget, had
    // not yet put the VIP back)
    await repairedByTheDaemons(t, 'dr');
    await named(t, 'dr', ['rs1'], () => ok(inNs('dr-rs1', ['ip', 'address', 'del', '10.10.0.1/32', 'dev', 'lvslab0'])), ['vip-missing rs1']);
    await repairedByTheDaemons(t, 'dr');
    await named(t, 'dr', ['ds'], () => ok(inNs('dr-ds', ['ip', 'route', 'add', '192.168.113.99/32', 'via', CLIENT])), ['off-segment rs1']);
    await ok(inNs('dr-ds', ['ip', 'route', 'del', '192.168.113.99/32', 'via', CLIENT]));
  });
});

test.serial('TUN: trace says encapsulated; doctor names strict rp_filter on rs2, then no ipip module (and no VIP) on either; thawed, the daemons repair theirs (the kernel loads ipip again for the link)', async (t) => {
  await withLab(t, 'tun', async () => {
    t.regex((await ok(inNs('tun-rs1', ['ip', '-d', '-o', 'link', 'show', 'dev', 'lvslab0']))).stdout, /ipip any remote any local 192\.168\.113\.99 /);
    t.regex((await ok(inNs('tun-rs1', ['ip', '-o', 'address', 'show', 'dev', 'lvslab0']))).stdout, /inet 10\.10\.0\.1\/32 /);
    await named(t, 'tun', ['rs2'], () => ok(inNs('tun-rs2', ['sysctl', '-w', 'net.ipv4.conf.all.rp_filter=1'])), ['rp-filter-strict rs2']);
    await named(t, 'tun', ['rs1', 'rs2'], async () => {
      for (const rs of ['rs1', 'rs2']) await ok(inNs(`tun-${rs}`, ['ip', 'link', 'del', 'lvslab0']));
      await ok(run(['modprobe', '-r', 'ipip']));
    }, ['vip-missing rs1', 'ipip-not-loaded rs1', 'vip-missing rs2', 'ipip-not-loaded rs2']);
  });
});

/** The snapshot without interface indexes: tunl0 comes back with another one after ipip's unload and reload. */
const unindexed = (snapshot: Record<string, string>) => ({ ...snapshot, links: (snapshot['links'] ?? '').replace(/^\d+: /gm, '') });

test.serial('nothing of the labs is left: the host as it was (the ipip module aside, loaded before)', async (t) => {
  t.deepEqual(unindexed(await hostSnapshot()), unindexed(before));
});
