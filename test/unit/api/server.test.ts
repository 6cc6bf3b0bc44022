import test from 'ava';
import { request } from 'node:http';
import pino from 'pino';
import { connect, type Socket } from 'node:net';
import { hostAllowed, startStatusServer, type StatusLimits, type StatusServer, type StatusSource } from '../../../daemon/api/server.js';
import { Metrics } from '../../../daemon/metrics/metrics.js';
import { family, parseExposition, samples } from '../metrics/helpers.js';
import { fakeLog, fakeSource, type FakeSource } from './helpers.js';

interface Lab { server: StatusServer; source: FakeSource; metrics: Metrics; log: ReturnType<typeof fakeLog>; url: (path: string) => string }

async function lab(t: { teardown(fn: () => Promise<void>): void }, source: StatusSource & Partial<FakeSource> = fakeSource(), limits: Partial<StatusLimits> = {}): Promise<Lab> {
  const metrics = new Metrics();
  const log = fakeLog();
  const server = await startStatusServer({ host: '127.0.0.1', port: 0, metrics, source, log, hostNames: ['ds'], limits });
  t.teardown(() => server.close());
  return { server, source: source as FakeSource, metrics, log, url: (path) => `http://127.0.0.1:${server.address.port}${path}` };
}

test('port 0 binds a free port and returns it; a pino logger fits', async (t) => {
  const server = await startStatusServer({ host: '127.0.0.1', port: 0, metrics: new Metrics(), source: fakeSource(), log: pino({ level: 'silent' }) });
  t.teardown(() => server.close());
  t.is(server.address.host, '127.0.0.1');
  t.true(server.address.port > 0);
  t.is((await fetch(`http://127.0.0.1:${server.address.port}/healthz`)).status, 200);
});

test('GET /healthz: 200 ok while the last reconcile succeeded, 503 with the reason when not', async (t) => {
  const { url, source } = await lab(t);
  let res = await fetch(url('/healthz'));
  t.is(res.status, 200);
  t.is(await res.text(), 'ok\n');
  t.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  source.health = { ok: false, reason: 'ipvsadm exited 2: Memory allocation problem' };
  res = await fetch(url('/healthz'));
  t.is(res.status, 503);
  t.is(await res.text(), 'unhealthy: ipvsadm exited 2: Memory allocation problem\n');
  source.health = { ok: false };
  t.is(await (await fetch(url('/healthz'))).text(), 'unhealthy: the last reconcile failed\n');
});

test('GET /metrics: Prometheus text with the recorded values', async (t) => {
  const { url, metrics } = await lab(t);
  metrics.recordReconcile({ ok: true, durationMs: 420, countsByKind: { 'rs-edit': 2 } });
  metrics.setRealServers([{ virtualServer: 'web', realServer: '192.168.113.99:8080', healthy: true, weight: 1, activeConns: 4, inactiveConns: 1 }]);
  const res = await fetch(url('/metrics'));
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  t.true(text.split('\n').includes('lvslab_changes_applied_total{kind="rs-edit"} 2'));
  const families = parseExposition(text);
  t.deepEqual(samples(families, 'lvslab_changes_applied_total'), { 'kind=rs-edit': '2' });
  t.is(family(families, 'lvslab_sync_duration_seconds').metrics[0]?.sum, '0.42');
  t.deepEqual(samples(families, 'lvslab_real_server_healthy'), { 'virtual_server=web,real_server=192.168.113.99:8080': '1' });
});

test('GET /v1/state and /v1/conntrack: JSON of the source; query strings are ignored', async (t) => {
  const { url, source } = await lab(t);
  for (const path of ['/v1/state', '/v1/state?verbose=1&x']) {
    const res = await fetch(url(path));
    t.is(res.status, 200);
    t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
    t.is(res.headers.get('cache-control'), 'no-store');
    t.deepEqual(await res.json(), source.stateDoc);
  }
  const res = await fetch(url('/v1/conntrack'));
  t.is(res.status, 200);
  t.deepEqual(await res.json(), source.flows);
});

test('HEAD: same status and headers as GET, no body', async (t) => {
  const { url } = await lab(t);
  const get = await fetch(url('/v1/state'));
  const length = (await get.arrayBuffer()).byteLength;
  const head = await fetch(url('/v1/state'), { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers.get('content-length'), String(length));
  t.is(await head.text(), '');
  t.is((await fetch(url('/nope'), { method: 'HEAD' })).status, 404);
});

test('POST, PUT, DELETE, PATCH, OPTIONS: 405 with Allow: GET, HEAD, and the source is not called', async (t) => {
  const { url, source } = await lab(t);
  const before = { ...source.calls };
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    for (const path of ['/v1/state', '/healthz', '/metrics', '/v1/conntrack', '/v1/reload']) {
      const res = await fetch(url(path), { method, ...(method === 'POST' || method === 'PUT' ? { body: '{"weight":0}' } : {}) });
      t.is(res.status, 405, `${method} ${path}`);
      t.is(res.headers.get('allow'), 'GET, HEAD');
      t.regex(((await res.json()) as { error: string }).error, new RegExp(`^method ${method} not allowed`));
    }
  }
  t.deepEqual(source.calls, before);
});

test('a large request body is ignored and the connection stays usable', async (t) => {
  const { server } = await lab(t);
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.address.port, path: '/v1/state', method: 'GET', headers: { 'content-length': 1 << 20 } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end(Buffer.alloc(1 << 20, 'x'));
  });
  t.is(status, 200);
});

test('unknown paths: 404 JSON {error}', async (t) => {
  const { url } = await lab(t);
  for (const path of ['/', '/v1/state/', '//metrics', '/v1', '/metrics.json', '/HEALTHZ']) {
    const res = await fetch(url(path));
    t.is(res.status, 404, path);
    t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
    t.deepEqual(await res.json(), { error: 'not found; the paths are /healthz, /metrics, /v1/state, /v1/conntrack' });
  }
});

test('a throwing source gives 500 JSON with the message only; the stack goes to the log', async (t) => {
  const failing = fakeSource();
  failing.state = () => { throw new Error('state exploded'); };
  failing.conntrack = async () => { throw new TypeError('conntrack -L: bad line'); };
  failing.healthy = () => { throw 'not even an Error'; };
  const { url, log } = await lab(t, failing);
  for (const [path, message] of [['/v1/state', 'state exploded'], ['/v1/conntrack', 'conntrack -L: bad line'], ['/healthz', 'not even an Error']] as const) {
    const res = await fetch(url(path));
    t.is(res.status, 500, path);
    const body = await res.text();
    t.deepEqual(JSON.parse(body), { error: message });
    t.notRegex(body, /\bat \S|\.js:\d+|node:internal|stack/);
  }
  t.is(log.errors.length, 3);
  t.regex(String((log.errors[0]?.err as Error).stack), /state exploded\n\s+at /);
});

test('a state that JSON cannot encode gives 500, not a dropped connection', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const source = fakeSource();
  source.state = () => cyclic;
  const { url } = await lab(t, source);
  const res = await fetch(url('/v1/state'));
  t.is(res.status, 500);
  t.regex(((await res.json()) as { error: string }).error, /circular/i);
});

test('concurrent /v1/conntrack requests share one conntrack run', async (t) => {
  const source = fakeSource();
  let release: () => void = () => undefined;
  let runs = 0;
  source.conntrack = async () => {
    runs += 1;
    await new Promise<void>((r) => { release = r; });
    return [{ protocol: 'tcp' }];
  };
  const { url } = await lab(t, source, { cacheMs: 0 });
  const pending = [fetch(url('/v1/conntrack')), fetch(url('/v1/conntrack'))];
  while (runs === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  release();
  for (const res of await Promise.all(pending)) t.deepEqual(await res.json(), [{ protocol: 'tcp' }]);
  t.is(runs, 1);
  const again = fetch(url('/v1/conntrack'));
  while (runs === 1) await new Promise((r) => setTimeout(r, 5));
  release();
  t.is((await again).status, 200);
  t.is(runs, 2, 'a later request runs conntrack again');
});

test('a port in use: startStatusServer rejects saying where; close() can be called twice', async (t) => {
  const { server, url } = await lab(t);
  await t.throwsAsync(startStatusServer({ host: '127.0.0.1', port: server.address.port, metrics: new Metrics(), source: fakeSource(), log: fakeLog() }), {
    message: new RegExp(`^status API: cannot listen on 127\\.0\\.0\\.1:${server.address.port}: .*EADDRINUSE`),
  });
  t.is((await fetch(url('/healthz'))).status, 200); // keep-alive connection open: close must still end
  await server.close();
  await server.close();
  await t.throwsAsync(fetch(url('/healthz')));
});

test('GET /v1/state: a source whose state() is a promise (the daemon reads IPVS counts) is awaited', async (t) => {
  const source = fakeSource();
  const doc = source.stateDoc;
  const { url } = await lab(t, { ...source, state: async () => doc });
  const res = await fetch(url('/v1/state'));
  t.is(res.status, 200);
  t.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
});

/** GET `path` with this Host header (fetch cannot set one); the status and body. */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('Host header: IP literals, localhost and the node\'s names are answered; any other name gets 403 and the source is not called', async (t) => {
  const { server, source } = await lab(t);
  const port = server.address.port;
  for (const host of [`127.0.0.1:${port}`, '192.168.113.101:9410', '[::1]:9410', 'localhost', `LOCALHOST:${port}`, 'ds', 'DS.:9410']) {
    t.is((await getWithHost(port, '/v1/state', host)).status, 200, host);
  }
  const before = source.calls.state;
  for (const host of ['evil.example', 'ds.evil.example:9410', '127.0.0.1.nip.io', 'localhost.evil.example']) {
    const res = await getWithHost(port, '/v1/state', host);
    t.is(res.status, 403, host);
    t.regex((JSON.parse(res.body) as { error: string }).error, /^host ".*" not allowed: use an IP address, localhost or /);
  }
  t.is(source.calls.state, before);
});

test('hostAllowed: no Host header (HTTP/1.0) passes; names compare without case, port or trailing dot', (t) => {
  const names = new Set(['ds']);
  t.true(hostAllowed(undefined, names));
  t.true(hostAllowed('Ds.:80', names));
  t.true(hostAllowed('[fe80::1]', names));
  t.false(hostAllowed('', names));
  t.false(hostAllowed('[evil]', names));
  t.false(hostAllowed('dss', names));
});

test('8 concurrent /v1/state requests share one state read, and a request within cacheMs is served from it', async (t) => {
  // a cacheMs no busy machine outlasts between the burst and the next request (300 ms did: one run read twice)
  const source = fakeSource();
  const { url } = await lab(t, source, { cacheMs: 60_000 });
  const bodies = await Promise.all(Array.from({ length: 8 }, async () => (await fetch(url('/v1/state'))).text()));
  t.is(source.calls.state, 1);
  t.is(new Set(bodies).size, 1);
  await fetch(url('/v1/state'));
  t.is(source.calls.state, 1, 'a request right after the burst is served from the cache');
});

test('a /v1/state request after cacheMs reads the state anew', async (t) => {
  const source = fakeSource();
  const { url } = await lab(t, source, { cacheMs: 50 });
  await fetch(url('/v1/state'));
  t.is(source.calls.state, 1);
  await new Promise((r) => setTimeout(r, 100));
  await fetch(url('/v1/state'));
  t.is(source.calls.state, 2, 'a request after cacheMs reads again');
});

test('a failed state read is not cached: the next request reads again', async (t) => {
  const source = fakeSource();
  let fail = true;
  const doc = source.stateDoc;
  const { url } = await lab(t, { ...source, state: () => { if (fail) throw new Error('ipvsadm timed out'); return doc; } }, { cacheMs: 60_000 });
  t.is((await fetch(url('/v1/state'))).status, 500);
  fail = false;
  t.is((await fetch(url('/v1/state'))).status, 200);
});

/** A raw TCP socket to the server; resolves once connected. */
function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves with the ms until `socket` closes, or undefined when it is still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<number | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
    socket.resume();
  });
}

test('at most maxConnections sockets: the next one is closed at once; once one ends, a new one is answered', async (t) => {
  const { server, url } = await lab(t, fakeSource(), { maxConnections: 4, headersTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
  const port = server.address.port;
  const held: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const socket = await rawSocket(port);
    held.push(socket);
    // a whole request on each, so the server has surely counted it; keep-alive holds it open after
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await answered;
  }
  t.teardown(() => { for (const s of held) s.destroy(); });
  const fifth = await rawSocket(port);
  let got = '';
  fifth.on('data', (c: Buffer) => { got += c.toString(); });
  fifth.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.not(await closedWithin(fifth, 2000), undefined, 'the fifth socket was not closed');
  t.is(got, '', 'the fifth socket got an answer');
  held.pop()?.destroy();
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = await fetch(url('/healthz'), { headers: { connection: 'close' } }).then((r) => r.status, () => 0);
    if (status !== 200) await new Promise((r) => setTimeout(r, 20));
  }
  t.is(status, 200);
});

test('with headersTimeout 300 ms: a socket that sends nothing, and one that sends its headers a byte every 100 ms, are closed within 2 s', async (t) => {
  const { server } = await lab(t, fakeSource(), { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 });
  const silent = await rawSocket(server.address.port);
  const slow = await rawSocket(server.address.port);
  const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ' + 'x'.repeat(200);
  let sent = 0;
  const drip = setInterval(() => { if (!slow.destroyed) slow.write(request[sent++ % request.length] ?? 'x'); }, 100);
  t.teardown(() => { clearInterval(drip); silent.destroy(); slow.destroy(); });
  const [silentMs, slowMs] = await Promise.all([closedWithin(silent, 2000), closedWithin(slow, 2000)]);
  t.not(silentMs, undefined, 'the silent socket is still open after 2 s');
  t.not(slowMs, undefined, 'the dripping socket is still open after 2 s');
  t.log(`closed after ${Math.round(silentMs ?? 0)} ms (silent), ${Math.round(slowMs ?? 0)} ms (a byte every 100 ms)`);
});

test('listening beyond loopback logs a warning at start; on 127.0.0.1 it does not', async (t) => {
  const loopback = await lab(t);
  t.deepEqual(loopback.log.warnings, []);
  const log = fakeLog();
  const open = await startStatusServer({ host: '0.0.0.0', port: 0, metrics: new Metrics(), source: fakeSource(), log });
  await open.close();
  t.is(log.warnings.length, 1);
  t.regex(log.warnings[0] ?? '', /^status API listens beyond loopback \(0\.0\.0\.0\)/);
});
