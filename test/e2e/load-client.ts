/**
 * A bounded load from one process: `node load-client.js URL RPS SECONDS` sends RPS requests a second
 * (each on a new connection, 2 s timeout) for SECONDS, then prints one JSON line with the counts and
 * the answers per real server, with the start time (ms since the epoch) its timeline counts from. Run inside the client's namespace by the systemd e2e test.
 */
import { request } from 'node:http';

const [url = '', rps = '10', seconds = '30'] = process.argv.slice(2);
const total = Number(rps) * Number(seconds);
const answers: Record<string, number> = {};
const failures: Record<string, number> = {};
const timeline: { at: number; ok: boolean; server?: string }[] = [];
const started = Date.now();

const one = (): Promise<void> =>
  new Promise((resolve) => {
    const at = Date.now() - started;
    const fail = (why: string) => {
      failures[why] = (failures[why] ?? 0) + 1;
      timeline.push({ at, ok: false });
      resolve();
    };
    const req = request(url, { agent: false, timeout: 2000, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const server = body.trim();
        answers[server] = (answers[server] ?? 0) + 1;
        timeline.push({ at, ok: res.statusCode === 200, server });
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    req.end();
  });

const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / Number(rps);
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  inFlight.push(one());
}
await Promise.all(inFlight);
const ok = timeline.filter((t) => t.ok).length;
process.stdout.write(`${JSON.stringify({ startedAt: started, sent: total, ok, failed: total - ok, ratio: ok / total, answers, failures, timeline })}\n`);
