#!/usr/bin/env node
// The client of scripts/bench/blocklist.sh, run inside its client namespace: sequential new TCP
// connections to HOST:PORT (connect, wait for the server's one byte, close with a reset), bounded by
// --count and by --seconds, whichever comes first. Prints one JSON line: connections made, seconds,
// connections per second, the p50 and p99 connect latency (from net.connect to its 'connect' event)
// in ms, and the failed connects.
//   node connect-loop.mjs --host 10.254.253.1 --port 8080 --seconds 5 --count 100000 [--warmup 50] [--timeout-ms 3000]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    count: { type: 'string', default: '100000' },
    warmup: { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '3000' },
  },
});
const number = (name, min, max) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`connect-loop: --${name} ${values[name]}: a number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
};
if (!values.host || net.isIPv4(values.host) === false) {
  process.stderr.write('connect-loop: --host IPV4 is needed\n');
  process.exit(2);
}
const port = number('port', 1, 65535);
const seconds = number('seconds', 0.1, 600);
const count = number('count', 1, 10_000_000);
const warmup = number('warmup', 0, 10_000);
const timeoutMs = number('timeout-ms', 1, 60_000);

/**
 * One connection: its connect latency in nanoseconds, or the error that ended it. It ends once the
 * server has accepted it (the server's one byte came): one connection at a time end to end, so the
 * server's accept queue never fills (without the wait the loop outran the server's accepts and the
 * kernel dropped handshakes: ListenOverflows, then a SYN sent again after 1 s).
 */
function connectOnce() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let ns;
    const socket = net.connect({ host: values.host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: ns === undefined ? `not connected within ${timeoutMs} ms` : `connected, but the server did not answer within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      ns = process.hrtime.bigint() - started;
    });
    socket.once('data', () => {
      clearTimeout(timer);
      // close with a reset (SO_LINGER 0): no TIME_WAIT on either side, so the client's ports do not
      // fill up and every measurement of a run starts from the same empty port table (with FIN, one
      // row leaves tens of thousands of TIME_WAIT ports for 60 s, which can make each later connect
      // search longer for a free one)
      socket.resetAndDestroy();
      resolve({ ns });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ error: e.code ?? e.message });
    });
  });
}

// ARP, the JIT and the server's first accepts: not measured
for (let i = 0; i < warmup; i++) await connectOnce();

const latencies = [];
let errors = 0;
let firstError;
const started = process.hrtime.bigint();
const limit = started + BigInt(Math.round(seconds * 1e9));
let now = started;
while (latencies.length + errors < count && now < limit) {
  const r = await connectOnce();
  if (r.error === undefined) latencies.push(Number(r.ns) / 1e6);
  else {
    errors++;
    firstError ??= r.error;
  }
  now = process.hrtime.bigint();
}
const elapsed = Number(now - started) / 1e9;
latencies.sort((a, b) => a - b);
// nearest rank
const percentile = (p) => (latencies.length === 0 ? null : latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)]);
const round = (x, digits) => (x === null ? null : Number(x.toFixed(digits)));
process.stdout.write(`${JSON.stringify({
  connections: latencies.length,
  seconds: round(elapsed, 3),
  perSecond: round(latencies.length / elapsed, 1),
  p50Ms: round(percentile(0.5), 4),
  p99Ms: round(percentile(0.99), 4),
  errors,
  ...(firstError === undefined ? {} : { firstError }),
})}\n`);
