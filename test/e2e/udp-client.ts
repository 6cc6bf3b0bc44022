/**
 * `node udp-client.js HOST PORT SOCKETS`: one datagram from each of SOCKETS sockets (so SOCKETS flows),
 * each waiting up to 2 s for its answer; prints one JSON line: the answers per server and the count
 * of datagrams left unanswered. Run inside a namespace by the kube e2e test.
 */
import { createSocket } from 'node:dgram';

const [host = '', port = '7', sockets = '1'] = process.argv.slice(2);

const once = (): Promise<string | undefined> =>
  new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answer: string | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    socket.on('message', (message) => done(message.toString().trim()));
    socket.on('error', () => done(undefined));
    socket.send('ping', Number(port), host);
  });

const answers: Record<string, number> = {};
let unanswered = 0;
for (const answer of await Promise.all(Array.from({ length: Number(sockets) }, once))) {
  if (answer === undefined) unanswered++;
  else answers[answer] = (answers[answer] ?? 0) + 1;
}
process.stdout.write(`${JSON.stringify({ answers, unanswered })}\n`);
