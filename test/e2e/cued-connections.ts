/**
 * `node cued-connections.js URL N DIR`: N new connections at a moment the test chooses. It writes
 * DIR/ready once started, waits for DIR/go (at most 60 s), opens N HTTP requests at once (each on a
 * new connection, 10 s timeout), writes DIR/connected once every one of them has connected or failed,
 * then prints one JSON line with the counts and the answers per real server. The kube e2e test runs it
 * in the client's namespace to put known connections inside trace's before/after window.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count as countOutcome, oneRequest } from './one-request.js';

const [url = '', n = '1', dir = ''] = process.argv.slice(2);
const count = Number(n);
const CUE_WAIT_MS = 60_000;
if (!url || !dir || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: node cued-connections.js URL N DIR (N ≥ 1)\n');
  process.exit(2);
}

const answers: Record<string, number> = {};
const failures: Record<string, number> = {};
let connected = 0;
let settled = 0;
let onAllSettled: () => void = () => undefined;
/** Every connection has connected, or failed before it could. */
const allSettled = new Promise<void>((resolve) => (onAllSettled = resolve));
const settle = (): void => {
  if (++settled === count) onAllSettled();
};

const one = async (): Promise<boolean> => {
  let open = false;
  const outcome = await oneRequest(url, 10_000, () => {
    open = true;
    connected++;
    settle();
  });
  if (!open) settle();
  countOutcome(outcome, answers, failures);
  return outcome.ok;
};

writeFileSync(join(dir, 'ready'), '');
const waitStarted = Date.now();
while (!existsSync(join(dir, 'go'))) {
  if (Date.now() - waitStarted > CUE_WAIT_MS) {
    process.stderr.write(`no cue (${join(dir, 'go')}) within ${CUE_WAIT_MS} ms\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 10));
}
const requests = Array.from({ length: count }, one);
await allSettled;
writeFileSync(join(dir, 'connected'), String(connected));
const ok = (await Promise.all(requests)).filter(Boolean).length;
process.stdout.write(`${JSON.stringify({ sent: count, connected, ok, failed: count - ok, answers, failures })}\n`);
