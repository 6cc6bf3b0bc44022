/**
 * The client's side of `lvslab drill failover`, run inside the client node (`lvslab drill-agent`, a
 * hidden command: the drill starts it with `ip netns exec`). It holds HELD connections to the VIP open
 * by leaving a request unfinished (the lab's backend answers and closes once a request ends) and
 * sends a header line on each every 500 ms; meanwhile it makes a new connection every EVERY ms (a GET,
 * 1 s timeout). It writes READY once the held connections are open and a first new request has an
 * outcome; once STOP exists (or after SECONDS) it ends the held requests, waits up to 5 s for their
 * answers and prints one JSON line (DrillAgentResult). Bounded in time and count.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface DrillAgentOptions {
  readonly vip: string;
  readonly port: number;
  readonly held: number;
  readonly everyMs: number;
  readonly seconds: number;
  readonly readyFile: string;
  readonly stopFile: string;
}

export interface DrillAgentResult {
  /** Epoch ms the timeline counts from. */
  readonly startedAt: number;
  /** Each new connection: sent `at` ms after startedAt, answered or not. */
  readonly timeline: readonly { readonly at: number; readonly ok: boolean }[];
  /** Each held connection: the real server that answered its request at the end, or why none did. */
  readonly held: readonly ({ readonly server: string } | { readonly error: string })[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function once(vip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: vip, port, path: '/', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

interface Held { readonly socket: Socket; received: string; error?: string; closed: boolean }

function hold(vip: string, port: number): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: vip, port });
    const held: Held = { socket, received: '', closed: false };
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error(`no connection to ${vip}:${port} within 5 s`)); });
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.write(`GET / HTTP/1.1\r\nHost: ${vip}\r\n`);
      resolve(held);
    });
    socket.on('data', (chunk) => { held.received += chunk.toString(); });
    socket.on('error', (err) => { held.error ??= err.message; reject(err); });
    socket.on('close', () => { held.closed = true; });
  });
}

const answered = (h: Held): boolean => /\r\n\r\n[\s\S]*\n/.test(h.received);

export async function runDrillAgent(o: DrillAgentOptions): Promise<DrillAgentResult> {
  const held: Held[] = [];
  for (let i = 0; i < o.held; i += 1) held.push(await hold(o.vip, o.port));
  const startedAt = Date.now();
  const deadline = startedAt + o.seconds * 1000;
  const timeline: { at: number; ok: boolean }[] = [];
  const stopped = () => Date.now() >= deadline || existsSync(o.stopFile);
  const ticks = (async () => {
    for (let tick = 0; !stopped(); tick += 1) {
      for (const h of held) if (!h.closed) h.socket.write(`X-Drill-Tick: ${tick}\r\n`);
      await sleep(500);
    }
  })();
  const pending: Promise<void>[] = [];
  while (!stopped()) {
    const at = Date.now() - startedAt;
    pending.push(once(o.vip, o.port).then((ok) => {
      timeline.push({ at, ok });
      if (timeline.length === 1) writeFileSync(o.readyFile, '');
    }));
    // in steps of at most 100 ms, so that a stop is seen within 100 ms however long the period
    for (let waited = 0; waited < o.everyMs && !stopped(); waited += 100) await sleep(Math.min(100, o.everyMs - waited));
  }
  await Promise.all([ticks, ...pending]);
  for (const h of held) if (!h.closed) h.socket.write('\r\n');
  const until = Date.now() + 5000;
  while (Date.now() < until && held.some((h) => !h.closed && !answered(h))) await sleep(100);
  const outcome = held.map((h) => {
    h.socket.destroy();
    const status = /^HTTP\/1\.1 (\d+)/.exec(h.received)?.[1];
    const body = /\r\n\r\n([\s\S]*)$/.exec(h.received)?.[1]?.trim();
    if (status === '200' && body) return { server: body };
    return { error: h.error ?? (h.closed ? `closed after ${h.received.length} bytes of answer` : 'no answer within 5 s') };
  });
  return { startedAt, timeline: timeline.sort((a, b) => a.at - b.at), held: outcome };
}
