/**
 * A bounded load from one process: `node load-client.js URL RPS SECONDS [STOPFILE [TIMEOUT_MS [READYFILE]]]`
 * sends RPS requests a second (each on a new connection, TIMEOUT_MS timeout, default 2 s) for SECONDS,
 * or until STOPFILE exists (an empty STOPFILE: none); it creates READYFILE once its first request has
 * an outcome (node's start takes seconds of the emulated VM's CPU: a test waits for it, not for a
 * guessed time, before it measures anything beside the load); then it prints
 * one JSON line with the counts and the answers per real server, with the start time (ms since the
 * epoch) its timeline counts from (each request: when it was sent, how long it took, its outcome). Run inside the client's namespace by the systemd and kube e2e tests.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { count, oneRequest } from './one-request.js';

const [url = '', rps = '10', seconds = '30', stopFile = '', timeoutMs = '2000', readyFile = ''] = process.argv.slice(2);
const planned = Number(rps) * Number(seconds);
const answers: Record<string, number> = {};
const failures: Record<string, number> = {};
const timeline: { at: number; ms: number; ok: boolean; server?: string; failure?: string }[] = [];
const started = Date.now();

const one = async (): Promise<void> => {
  const at = Date.now() - started;
  const outcome = await oneRequest(url, Number(timeoutMs));
  count(outcome, answers, failures);
  if (readyFile !== '' && timeline.length === 0) writeFileSync(readyFile, '');
  timeline.push({ at, ms: Date.now() - started - at, ok: outcome.ok, ...(outcome.server === undefined ? {} : { server: outcome.server }), ...(outcome.failure === undefined ? {} : { failure: outcome.failure }) });
};

const inFlight: Promise<void>[] = [];
for (let i = 0; i < planned; i++) {
  const due = started + (i * 1000) / Number(rps);
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  if (stopFile !== '' && existsSync(stopFile)) break;
  inFlight.push(one());
}
await Promise.all(inFlight);
const total = inFlight.length;
const ok = timeline.filter((t) => t.ok).length;
process.stdout.write(`${JSON.stringify({ startedAt: started, sent: total, ok, failed: total - ok, ratio: ok / total, answers, failures, timeline })}\n`);
