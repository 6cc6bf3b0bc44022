/**
 * One HTTP GET on a new connection (Connection: close), for the e2e load scripts: resolves with the
 * answering server's name (the body) or why it failed; never rejects. `onConnect` is called once the
 * TCP connection is open.
 */
import { request } from 'node:http';

export type RequestOutcome = { readonly ok: boolean; readonly server?: string; readonly failure?: string };

export const oneRequest = (url: string, timeoutMs: number, onConnect?: () => void): Promise<RequestOutcome> =>
  new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ ok: res.statusCode === 200, server: body.trim() }));
    });
    if (onConnect !== undefined) req.on('socket', (socket) => socket.once('connect', onConnect));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, failure: e.code ?? e.message }));
    req.end();
  });

/** Adds one outcome to per-server answers and per-reason failures. */
export function count(outcome: RequestOutcome, answers: Record<string, number>, failures: Record<string, number>): void {
  if (outcome.server !== undefined) answers[outcome.server] = (answers[outcome.server] ?? 0) + 1;
  if (outcome.failure !== undefined) failures[outcome.failure] = (failures[outcome.failure] ?? 0) + 1;
}
