/**
 * The two health checks, in-process (node:net, node:http; no curl, nothing spawned). Each one
 * always resolves, never throws, and leaves no socket or timer behind: the whole check, connect
 * included, is bounded by one timer.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { CheckResult } from './state.js';

export interface HttpExpectation {
  readonly path: string;
  readonly expectStatus: number;
  readonly bodyContains?: string;
}

/** The most of a body read (in characters) when looking for `bodyContains`. */
export const MAX_BODY_BYTES = 64 * 1024;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs `start(finish)` under a timeout: the first `finish` (or the timer) settles the check and
 * `cleanup` runs once, whatever happened.
 */
function bounded(timeoutMs: number, start: (finish: (r: CheckResult) => void) => () => void): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: () => void = () => undefined;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `timeout after ${timeoutMs} ms` }), timeoutMs);
    try {
      cleanup = start(finish);
      if (settled) cleanup();
    } catch (error) {
      finish({ ok: false, error: describe(error) });
    }
  });
}

/** Connects to ip:port; ok once the TCP handshake completes. */
export function tcpCheck(ip: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return bounded(timeoutMs, (finish) => {
    const socket: Socket = connect({ host: ip, port });
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (error) => finish({ ok: false, error: describe(error) }));
    return () => socket.destroy();
  });
}

/** GET http://ip:port{path}; ok when the status is `expectStatus` and the body contains `bodyContains`. */
export function httpCheck(ip: string, port: number, expect: HttpExpectation, timeoutMs: number): Promise<CheckResult> {
  return bounded(timeoutMs, (finish) => {
    const req = request({ host: ip, port, path: expect.path, method: 'GET', agent: false, headers: { connection: 'close' } });
    req.once('error', (error) => finish({ ok: false, error: describe(error) }));
    req.once('response', (res) => {
      res.once('error', (error) => finish({ ok: false, error: describe(error) }));
      if (res.statusCode !== expect.expectStatus) {
        finish({ ok: false, error: `HTTP ${res.statusCode ?? '?'} from ${expect.path}, expected ${expect.expectStatus}` });
        return;
      }
      const wanted = expect.bodyContains;
      if (wanted === undefined) {
        finish({ ok: true });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      const missing = `the body of ${expect.path} does not contain ${JSON.stringify(wanted)}`;
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes(wanted)) finish({ ok: true });
        else if (body.length >= MAX_BODY_BYTES) finish({ ok: false, error: `${missing} in its first ${MAX_BODY_BYTES} characters` });
      });
      res.once('end', () => finish({ ok: false, error: missing }));
    });
    req.end();
    return () => req.destroy();
  });
}
