/** tcpCheck and httpCheck against real servers on 127.0.0.1: they always resolve and leave no socket open. */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import test from 'ava';
import { httpCheck, MAX_BODY_BYTES, tcpCheck } from '../../../daemon/health/checks.js';
import { runCheck } from '../../../daemon/health/monitor.js';
import type { HealthTarget } from '../../../daemon/health/targets.js';

const LOCAL = '127.0.0.1';

/** A server listening on a free port of 127.0.0.1, that counts its open connections. */
async function listen(server: Server): Promise<{ port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, LOCAL, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A plain TCP server that reads (and drops) what it gets, so it sees the checker close. */
const tcp = (onConnect: (s: Socket) => void = () => undefined) =>
  listen(createServer((s) => {
    s.resume();
    onConnect(s);
  }));

const http = (handler: (req: IncomingMessage, res: ServerResponse) => void) => listen(createHttpServer(handler));

/** A port nothing listens on: one that was just freed. */
async function closedPort(): Promise<number> {
  const s = await tcp();
  await s.close();
  return s.port;
}

/** Waits until the server has no open connection (the checker closed its side), at most 2 s. */
async function drained(t: import('ava').ExecutionContext, open: () => number): Promise<void> {
  for (let i = 0; i < 200 && open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(open(), 0, 'the check left a connection open');
}

test('tcp: a listening port is up, and the connection is closed after', async (t) => {
  const server = await tcp();
  t.deepEqual(await tcpCheck(LOCAL, server.port, 1000), { ok: true });
  await drained(t, server.open);
  await server.close();
});

test('tcp: a refusing port is down with the connect error', async (t) => {
  const port = await closedPort();
  t.deepEqual(await tcpCheck(LOCAL, port, 1000), { ok: false, error: `connect ECONNREFUSED ${LOCAL}:${port}` });
});

test('tcp and http: a bad port resolves as a failure, never throws', async (t) => {
  const tcp = await tcpCheck(LOCAL, 70000, 1000);
  t.false(tcp.ok);
  t.regex(tcp.error ?? '', /70000/);
  t.false((await httpCheck(LOCAL, 70000, { path: '/', expectStatus: 200 }, 1000)).ok);
});

test('http: the expected status and body pass; the path is the one asked for', async (t) => {
  const paths: string[] = [];
  const server = await http((req, res) => {
    paths.push(req.url ?? '');
    res.end('hello from rs1\n');
  });
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/healthz?x=1', expectStatus: 200, bodyContains: 'rs1' }, 1000), { ok: true });
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/', expectStatus: 200 }, 1000), { ok: true });
  t.deepEqual(paths, ['/healthz?x=1', '/']);
  await drained(t, server.open);
  await server.close();
});

test('http: a wrong status fails with the status, the path and what was expected', async (t) => {
  const server = await http((_req, res) => {
    res.statusCode = 503;
    res.end('busy');
  });
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/health', expectStatus: 200 }, 1000), {
    ok: false,
    error: 'HTTP 503 from /health, expected 200',
  });
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/health', expectStatus: 503 }, 1000), { ok: true });
  await drained(t, server.open);
  await server.close();
});

test('http: a body without the expected text fails, also when it is long', async (t) => {
  const server = await http((req, res) => res.end(req.url === '/big' ? 'x'.repeat(MAX_BODY_BYTES * 2) : 'rs2\n'));
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/', expectStatus: 200, bodyContains: 'rs1' }, 1000), {
    ok: false,
    error: 'the body of / does not contain "rs1"',
  });
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/big', expectStatus: 200, bodyContains: 'rs1' }, 1000), {
    ok: false,
    error: `the body of /big does not contain "rs1" in its first ${MAX_BODY_BYTES} characters`,
  });
  await drained(t, server.open);
  await server.close();
});

test('http: a slow answer times out, and the connection is closed', async (t) => {
  const server = await http(() => undefined);
  const started = performance.now();
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/', expectStatus: 200 }, 150), { ok: false, error: 'timeout after 150 ms' });
  t.true(performance.now() - started < 1000);
  await drained(t, server.open);
  await server.close();
});

test('http: a slow body times out too (the timeout covers the whole check)', async (t) => {
  const server = await http((_req, res) => res.write('partial'));
  t.deepEqual(await httpCheck(LOCAL, server.port, { path: '/', expectStatus: 200, bodyContains: 'done' }, 150), {
    ok: false,
    error: 'timeout after 150 ms',
  });
  await drained(t, server.open);
  await server.close();
});

test('http: a refusing port is down with the connect error', async (t) => {
  const port = await closedPort();
  t.deepEqual(await httpCheck(LOCAL, port, { path: '/', expectStatus: 200 }, 1000), { ok: false, error: `connect ECONNREFUSED ${LOCAL}:${port}` });
});

test('http: a server that is not HTTP fails with the parse error', async (t) => {
  const server = await tcp((s) => s.end('SSH-2.0-OpenSSH\r\n'));
  const result = await httpCheck(LOCAL, server.port, { path: '/', expectStatus: 200 }, 1000);
  t.false(result.ok);
  t.regex(result.error ?? '', /Parse Error|HPE_/);
  await drained(t, server.open);
  await server.close();
});

test('runCheck: the monitor default runs the check the target asks for', async (t) => {
  const server = await http((req, res) => res.end(req.url === '/ok' ? 'fine' : 'nope'));
  const target = (check: HealthTarget['check']): HealthTarget => ({ key: 'k', virtualServer: 'web', node: 'rs1', ip: LOCAL, port: server.port, check });
  const timing = { intervalMs: 2000, retryDelayMs: 1000, timeoutMs: 1000, rise: 2, fall: 2, onFailure: 'inhibit' } as const;
  t.deepEqual(await runCheck(target({ type: 'tcp', ...timing })), { ok: true });
  t.deepEqual(await runCheck(target({ type: 'http', path: '/ok', expectStatus: 200, bodyContains: 'fine', ...timing })), { ok: true });
  t.false((await runCheck(target({ type: 'http', path: '/other', expectStatus: 200, bodyContains: 'fine', ...timing }))).ok);
  await drained(t, server.open);
  await server.close();
});
