/**
 * docs/schemas/ against the documents the commands print: each built by the production code the CLI
 * runs (runVerify, gatherKubeFacts + diagnoseKube, runTrace, reconcile through the node kernel,
 * statusDocument, the builders of cli/json-documents.ts, doctorCommand itself) on fake runners that
 * replay captured tool output, then printed and parsed as the CLI prints them. Each schema compiles in
 * ajv's strict mode, and a document with one field wrong is rejected, naming it.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../temp-dir.js';
import pino from 'pino';
import { parseLab } from '../../../daemon/config/load.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { doctorCommand } from '../../../daemon/cli/doctor-command.js';
import { nodeStatusDocument, traceDocument, upDocument } from '../../../daemon/cli/json-documents.js';
import { diagnoseKube } from '../../../daemon/doctor/kube-diagnose.js';
import { gatherKubeFacts } from '../../../daemon/doctor/kube-facts.js';
import type { HealthState } from '../../../daemon/health/state.js';
import { parseIpvsList } from '../../../daemon/kernel/ipvs/index.js';
import { fileLedger } from '../../../daemon/kernel/ledger.js';
import { nodeKernel } from '../../../daemon/kernel/node-kernel.js';
import type { LabNodeAccess } from '../../../daemon/lab/node-access.js';
import { reconcile, summarize, type ReconcileOptions } from '../../../daemon/reconcile/reconcile.js';
import { statusDocument } from '../../../daemon/service/status-document.js';
import { runTrace } from '../../../daemon/trace/run.js';
import { runVerify } from '../../../daemon/verify/verify.js';
import { schemaAjv, schemaNames, validateDocument, type DocumentName } from '../../shared/schemas.js';
import { KEY_RS1, KEY_RS2, seedLab } from '../health/helpers.js';
import { capturedDirector, fakeRunner, fixture, replayingNode, type NodeOutputs, type Reply } from '../kernel/helpers.js';
import { IPVS_SAVE, NODEPORT_FLOW_ACCT, NODEPORT_IPVS_AFTER, NODEPORT_IPVS_BEFORE, NODEPORT_LISTING, SETS, STATE, listingDeltas, saveWithCounters } from '../trace/reference.js';
import { lab as verifyLab, scriptedAccess } from '../verify/helpers.js';
import { vsConntrackOffLab, workingLab } from '../verify/scripts.js';

/** What the CLI prints (JSON.stringify(doc, null, 2)), read back: undefined members are gone, as on stdout. */
const printed = (doc: unknown): unknown => JSON.parse(JSON.stringify(doc, null, 2));

const valid = (t: ExecutionContext, name: DocumentName, doc: unknown): void => {
  t.deepEqual(validateDocument(name, printed(doc)), [], `${name}: ${JSON.stringify(doc).slice(0, 200)}`);
};

const loadLab = (path: string): LabConfig => {
  const loaded = parseLab(readFileSync(path, 'utf8'), path);
  if (!loaded.ok) throw new Error(`${path} does not load`);
  return loaded.lab;
};
const seed = seedLab();
const kube = loadLab('labs/kube.yaml');

// --- the documents, from the production code -------------------------------------------------

/**
 * One run of reconcile on a replayed node: the captured director (unless OUTPUTS says otherwise), whose
 * lvslab0 and LVSLAB-nets are lvslab's (its ledger says so), so that a run has changes: 10.10.0.2/32
 * and LVSLAB-nets are not the seed lab's. FAIL makes a command fail as the tool would.
 */
async function reconciled(lab: LabConfig, node: string, options: ReconcileOptions, outputs: NodeOutputs = capturedDirector(), fail?: (argv: readonly string[]) => string | undefined) {
  const ledger = fileLedger(join(tempDir('lvslab-schema-'), 'node.owned.json'));
  await ledger.around(['link:lvslab0', 'ipset:LVSLAB-nets'], [], async () => undefined);
  return reconcile(lab, node, nodeKernel(replayingNode(outputs, fail).runner, { interface: lab.interface, ledger }), options);
}
/** `ip -batch -` (the address lvslab0 no longer holds) fails as ip does without the capability. */
const ipBatchFails = (argv: readonly string[]): string | undefined => (argv.join(' ') === 'ip -batch -' ? 'RTNETLINK answers: Operation not permitted\n' : undefined);

const verifyReports = async (t: ExecutionContext) => ({
  working: await runVerify(verifyLab, scriptedAccess(t, workingLab).access, { requests: 4, statsLagMs: 0 }),
  vsConntrackOff: await runVerify(verifyLab, scriptedAccess(t, vsConntrackOffLab).access, { requests: 3, statsLagMs: 0 }),
});

/** The kube lab's nodes: every curl answers as a backend would, except CLIENT_FAILS; the director's sysctls say SYSCTL. */
function kubeAccess(sysctl: string, clientFails: (url: string) => Reply | undefined): LabNodeAccess {
  const runnerOf = (node: string) => fakeRunner((argv) => {
    if (argv[0] === 'curl') return (node === 'client' ? clientFails(argv.at(-1)!) : undefined) ?? { stdout: `rs2\n\n40000 200` };
    if (argv[0] === 'sysctl') return { stdout: argv.slice(1).map((k) => `${k} = ${sysctl}\n`).join('') };
    if (argv.join(' ') === 'ipset save') return { stdout: fixture('../kube/ipset-save.txt') };
    return {};
  }).runner;
  const runners = new Map(kube.nodes.map((n) => [n.name, runnerOf(n.name)]));
  return { placeOf: () => 'here', runnerFor: (node) => runners.get(node)! };
}

const refused: Reply = { exitCode: 7, stderr: 'curl: (7) Failed to connect to 10.108.113.237 port 80: No route to host' };
const doctorReports = async () => ({
  // the cluster IP does not answer from the client: by design
  working: diagnoseKube(kube.lab, await gatherKubeFacts(kube, kubeAccess('1', (url) => (url.includes('10.108.113.237') ? refused : undefined)))),
  // vs.conntrack and ip_forward off, the node port refused from the client: problems
  broken: diagnoseKube(kube.lab, await gatherKubeFacts(kube, kubeAccess('0', () => refused))),
});

/** `lvslab trace --from client --to 192.168.113.101:30080` on the reference NodePort request (trace/reference.ts). */
async function traceRun(answered: boolean) {
  let sourcePort = 0;
  const client = fakeRunner((argv) => {
    sourcePort = Number(argv[argv.indexOf('--local-port') + 1]);
    return answered ? { stdout: `rs2\n\n${sourcePort} 200` } : { exitCode: 28, stderr: 'curl: (28) Connection timed out after 3001 milliseconds' };
  });
  const reads = new Map<string, number>();
  const nth = (key: string, replies: readonly string[]): Reply => {
    const n = reads.get(key) ?? 0;
    reads.set(key, n + 1);
    return { stdout: replies[Math.min(n, replies.length - 1)]! };
  };
  const director = fakeRunner((argv) => {
    const line = argv.join(' ');
    if (line === 'sysctl -n net.netfilter.nf_conntrack_acct') return { stdout: '0\n' };
    if (line === 'ipset save') return { stdout: SETS };
    if (line === 'ipvsadm -S -n') return { stdout: IPVS_SAVE };
    if (line === 'iptables-save -c') return nth(line, [saveWithCounters(STATE), saveWithCounters(STATE, answered ? listingDeltas(NODEPORT_LISTING) : new Map())]);
    if (line === 'ipvsadm -L -n --stats --exact') return nth(line, [NODEPORT_IPVS_BEFORE, answered ? NODEPORT_IPVS_AFTER : NODEPORT_IPVS_BEFORE]);
    if (argv[0] === 'conntrack') return { stdout: answered ? `${NODEPORT_FLOW_ACCT.replaceAll('40000', String(sourcePort))}\n` : '' };
    return {};
  });
  const run = await runTrace(kube, 'client', { address: '192.168.113.101', port: 30080, protocol: 'tcp' }, { from: client.runner, director: director.runner });
  return run;
}

const health = (healthy: boolean): HealthState => ({ healthy, successes: healthy ? 3 : 0, failures: healthy ? 0 : 2, since: '2025-05-01T10:00:00.000Z', ...(healthy ? {} : { lastError: 'connect ECONNREFUSED' }) });

/** The director's /v1/state after a run: weights and connections from the captured `ipvsadm -Ln --exact`, rs2 down. */
async function stateDocuments() {
  const ds = seed.nodes.find((n) => n.name === 'ds')!;
  const applied = await reconciled(seed, 'ds', {});
  const failed = await reconciled(seed, 'ds', {}, capturedDirector(), ipBatchFails);
  const common = { lab: seed, node: ds, pid: 4242, startedAt: '2025-05-01T09:59:58.000Z', health: new Map([[KEY_RS1, health(true)], [KEY_RS2, health(false)]]), connections: parseIpvsList(fixture('ipvsadm-Ln-exact.txt')) };
  return {
    applied,
    failed,
    converged: statusDocument({ ...common, converged: applied.remaining === 0, last: { ...applied, at: '2025-05-01T10:00:01.000Z' } }),
    failedRun: statusDocument({ ...common, converged: false, last: { ...failed, at: '2025-05-01T10:00:01.000Z' }, reloadProblems: ['lab.yaml: virtualServers[0].port: 70000 is not a port'] }),
    beforeFirstRun: statusDocument({ ...common, node: seed.nodes.find((n) => n.name === 'client')!, converged: false, connections: [] }),
  };
}

// --- the schemas themselves ------------------------------------------------------------------

test('every schema under docs/schemas compiles in ajv strict mode (draft 2020-12), and each document has one', (t) => {
  const names = schemaNames();
  t.deepEqual(names, ['compare', 'doctor', 'reconcile', 'state', 'status', 'trace', 'up', 'verify'] satisfies DocumentName[]);
  const ajv = schemaAjv();
  for (const name of names) {
    t.is(typeof ajv.getSchema(`${name}.schema.json`), 'function', name);
    t.is((JSON.parse(readFileSync(`docs/schemas/${name}.schema.json`, 'utf8')) as { $schema: string }).$schema, 'https://json-schema.org/draft/2020-12/schema');
  }
});

// --- real documents hold -----------------------------------------------------------------------

test('verify --json: the working lab\'s report and the failing one (vs.conntrack = 0, every probe timed out)', async (t) => {
  const { working, vsConntrackOff } = await verifyReports(t);
  t.true(working.ok);
  t.false(vsConntrackOff.ok);
  t.true(vsConntrackOff.virtualServers[0]!.causes.length > 0, 'a cause is in the document checked');
  valid(t, 'verify', working);
  valid(t, 'verify', vsConntrackOff);
});

test('doctor --json: a kube lab with a by-design finding, one with problems, and a lab without services (doctorCommand\'s own output)', async (t) => {
  const { working, broken } = await doctorReports();
  t.deepEqual(working.findings.map((f) => f.kind), ['by-design']);
  t.true(broken.findings.filter((f) => f.kind === 'problem').length >= 2, broken.findings.map((f) => f.code).join(', '));
  valid(t, 'doctor', working);
  valid(t, 'doctor', broken);
  const out: string[] = [];
  const exit = await doctorCommand({ log: pino({ level: 'silent' }), out: (l) => out.push(l), err: (l) => t.fail(l) }, 'labs/seed.yaml', true);
  t.is(exit, 0);
  t.is(out.length, 1, 'one document on stdout');
  t.deepEqual(validateDocument('doctor', JSON.parse(out[0]!)), []);
});

test('up --json: each node\'s convergence summary, the verification, and doctor only for a lab with services', async (t) => {
  const { working } = await verifyReports(t);
  const converged = Object.fromEntries(await Promise.all(['ds', 'client'].map(async (n) => [n, summarize(await reconciled(seed, n, {}))] as const)));
  valid(t, 'up', upDocument(seed.lab, converged, 5123, working, undefined));
  const { working: doctor } = await doctorReports();
  const kubeVerify = await runVerify(kube, scriptedAccess(t, {}).access, { requests: 2, statsLagMs: 0 });
  const withDoctor = printed(upDocument(kube.lab, { ds: 'ds: 0 changes (converged) in 80 ms' }, 9000, kubeVerify, doctor)) as { doctor?: unknown };
  t.true(withDoctor.doctor !== undefined);
  t.deepEqual(validateDocument('up', withDoctor), []);
});

test('trace --json: the reference NodePort request (rules, IPVS, conntrack, the accounting note) and a request that timed out', async (t) => {
  const answered = await traceRun(true);
  t.true(answered.trace.request.ok);
  t.deepEqual(new Set(answered.trace.steps.map((s) => s.kind)), new Set(['rule', 'ipvs', 'conntrack']));
  t.is(answered.notes.length, 1);
  valid(t, 'trace', traceDocument(answered));
  const timedOut = await traceRun(false);
  t.false(timedOut.trace.request.ok);
  valid(t, 'trace', traceDocument(timedOut));
});

test('plan, apply, cleanup --json: reconcile results, also with a conflict, a failed tool and the failure as data', async (t) => {
  const plan = await reconciled(seed, 'ds', { dryRun: true });
  const apply = await reconciled(seed, 'ds', {});
  const cleanup = await reconciled(seed, 'ds', { cleanup: true });
  t.true(plan.changes.length > 0 && apply.steps.length > 0 && cleanup.changes.length > 0);
  for (const doc of [plan, apply, cleanup]) valid(t, 'reconcile', doc);
  // a static route someone else made to a second VIP (as reconcile/ownership.test.ts)
  const withVip2: LabConfig = { ...seed, virtualServers: [...seed.virtualServers, { ...seed.virtualServers[0]!, name: 'www', vip: '10.10.0.2', port: 80 }] };
  const conflict = await reconciled(withVip2, 'client', {}, { ...capturedDirector(), routes: fixture('ip-j-route-foreign-client.json') });
  const link = await reconciled({ ...seed, interface: 'eth0' }, 'ds', {});
  const tool = await reconciled(seed, 'ds', {}, capturedDirector(), ipBatchFails);
  t.deepEqual([conflict.conflicts?.[0]?.kind, link.conflicts?.[0]?.kind, tool.failure?.exitCode], ['route', 'link', 1]);
  for (const doc of [conflict, link, tool]) valid(t, 'reconcile', doc);
});

test('GET /v1/state: the director after a run (weights, health, connections), after a failed run with a refused reload, a client before its first run', async (t) => {
  const docs = await stateDocuments();
  t.true(docs.converged.virtualServers[0]!.realServers.some((r) => r.healthy === false && r.activeConns !== undefined));
  t.deepEqual(docs.failedRun.lastReconcile?.error?.argv, ['ip', '-batch', '-']);
  for (const doc of [docs.converged, docs.failedRun, docs.beforeFirstRun]) valid(t, 'state', doc);
});

test('status --json: the dry run\'s differences with the daemon\'s /v1/state, or why the daemon did not answer', async (t) => {
  const docs = await stateDocuments();
  const differences = await reconciled(seed, 'ds', { dryRun: true });
  valid(t, 'status', nodeStatusDocument('ds', differences, { document: docs.converged }));
  valid(t, 'status', nodeStatusDocument('ds', differences, { document: docs.failedRun }));
  valid(t, 'status', nodeStatusDocument('ds', differences, { error: 'not reachable at 127.0.0.1:9410 (curl exited 7)' }));
});

// --- a wrong document is rejected, naming what is wrong ------------------------------------------

test('a document with one field wrong is rejected, the error naming it', async (t) => {
  const { working } = await verifyReports(t);
  const { broken } = await doctorReports();
  const docs = await stateDocuments();
  const trace = printed(traceDocument(await traceRun(true))) as { steps: { kind: string }[] };
  const up = printed(upDocument(seed.lab, {}, 1, working, undefined)) as { verify: Record<string, unknown> };
  delete up.verify['ok'];
  t.deepEqual(validateDocument('up', up), ["/verify must have required property 'ok'"]);
  const verify = printed(working) as { virtualServers: { protocol: string }[] };
  verify.virtualServers[0]!.protocol = 'sctp';
  t.deepEqual(validateDocument('verify', verify), ['/virtualServers/0/protocol must be equal to one of the allowed values (tcp, udp)']);
  const doctor = printed(broken) as { findings: { code: string }[] };
  doctor.findings[0]!.code = 'no-such-finding';
  t.regex(validateDocument('doctor', doctor).join('\n'), /^\/findings\/0\/code must be equal to one of the allowed values \(cluster-ip-from-outside, /);
  trace.steps[0]!.kind = 'jump';
  t.deepEqual(validateDocument('trace', trace), ['/steps/0/kind must be equal to one of the allowed values (rule, ipvs, conntrack)']);
  t.deepEqual(validateDocument('reconcile', { ...(printed(docs.applied) as object), steps: 3 }), ['/steps must be array']);
  t.deepEqual(validateDocument('reconcile', { ...(printed(docs.applied) as object), extra: true }), ['/ must NOT have additional properties (extra)']);
  t.deepEqual(validateDocument('state', { ...(printed(docs.converged) as object), role: 'router' }), ['/role must be equal to one of the allowed values (director, real-server, client)']);
  t.deepEqual(validateDocument('state', { ...(printed(docs.converged) as object), startedAt: 'Thursday' }), ['/startedAt must match format "date-time"']);
  const both = printed(nodeStatusDocument('ds', docs.applied, { document: docs.converged })) as { daemon: Record<string, unknown> };
  both.daemon['error'] = 'and an error too';
  t.true(validateDocument('status', both).includes('/daemon must match exactly one schema in oneOf'), validateDocument('status', both).join('\n'));
});
