#!/usr/bin/env node
// The TCP server of scripts/bench/blocklist.sh, run inside its server namespace: accepts every
// connection, sends one byte (the client's sign that it was accepted) and lets it go when the client
// resets it (or closes it). Prints one line once it listens. It stops by itself after --lifetime
// seconds, or as soon as the script that started it is gone.
//   node accept-server.mjs --host 10.254.253.1 --port 8080 [--lifetime 7200]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { host: { type: 'string' }, port: { type: 'string' }, lifetime: { type: 'string', default: '7200' } },
});
const port = Number(values.port);
const lifetime = Number(values.lifetime);
if (!values.host || !net.isIPv4(values.host) || !Number.isInteger(port) || port < 1 || port > 65535 || !(lifetime > 0)) {
  process.stderr.write('usage: accept-server.mjs --host IPV4 --port PORT [--lifetime SECONDS]\n');
  process.exit(2);
}
const server = net.createServer((socket) => {
  socket.on('error', () => {}); // the client's reset: the end of every connection
  socket.on('end', () => socket.end());
  socket.resume();
  socket.write('.'); // accepted: the client waits for this byte before its next connection
});
server.listen({ host: values.host, port, backlog: 4096 }, () => process.stdout.write(`listening on ${values.host}:${port}\n`));
const parent = process.ppid;
const stop = () => {
  server.close();
  process.exit(0);
};
setTimeout(stop, lifetime * 1000).unref();
// the script that started it was killed without its trap: do not outlive it
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 1000).unref();
