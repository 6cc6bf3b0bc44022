/**
 * answerQuery against random bytes and against mutations of valid queries: it never throws, and
 * whatever it replies decodes, carries the query's id, has QR set and fits in 512 bytes. Seeded:
 * a failure names its seed and case; DNS_FUZZ_SEED=<seed> replays it.
 */
import test, { type ExecutionContext } from 'ava';
import { decode } from 'dns-packet';
import { answerQuery, MAX_UDP_REPLY_BYTES } from '../../../daemon/dns/answer.js';
import { prng, query, sampleZone } from './helpers.js';

const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed);
const CASES = 20_000;
const zone = sampleZone();

type Random = ReturnType<typeof prng>;

/** Why the reply to `input` is wrong, or 'replied' / 'dropped' when it is fine. */
function check(input: Buffer): { readonly problem: string } | 'replied' | 'dropped' {
  let reply: Buffer | undefined;
  try {
    reply = answerQuery(input, zone);
  } catch (e) {
    return { problem: `answerQuery threw: ${e instanceof Error ? e.stack : String(e)}` };
  }
  if (reply === undefined) return 'dropped';
  if (reply.length > MAX_UDP_REPLY_BYTES) return { problem: `reply of ${reply.length} bytes` };
  try {
    const packet = decode(reply);
    if (packet.id !== input.readUInt16BE(0)) return { problem: `reply id ${packet.id}, query id ${input.readUInt16BE(0)}` };
    if (!packet.flag_qr) return { problem: 'reply without QR' };
  } catch (e) {
    return { problem: `reply does not decode: ${e instanceof Error ? e.message : String(e)}: ${reply.toString('hex')}` };
  }
  return 'replied';
}

/** Runs `CASES` inputs from `make`; fails at the first bad one, naming seed, case and bytes. */
function fuzz(t: ExecutionContext, seed: number, make: (random: Random) => Buffer): void {
  const random = prng(seed);
  let replies = 0;
  for (let i = 0; i < CASES; i += 1) {
    const input = make(random);
    const result = check(input);
    if (typeof result === 'object') {
      t.fail(`seed ${seed} (DNS_FUZZ_SEED=${seed}), case ${i}: ${result.problem}\ninput: ${input.toString('hex')}`);
      return;
    }
    if (result === 'replied') replies += 1;
  }
  t.log(`seed ${seed}: ${CASES} inputs, ${replies} replies`);
  t.pass();
}

const VALID = [
  query('web.default.svc.cluster.local'),
  query('Web.Default.Svc.Cluster.Local.', 'AAAA', { edns: true }),
  query('nope.shop.svc.cluster.local', 'A', { edns: true }),
  query('cluster.local', 'SOA'),
  query('example.com', 'MX'),
];

/** One random change: bytes overwritten, a bit flipped, cut short, extended, a range removed or repeated, a header word replaced. */
function mutateOnce(random: Random, bytes: Buffer): Buffer {
  switch (random.int(7)) {
    case 0: {
      const copy = Buffer.from(bytes);
      for (let n = 1 + random.int(4); n > 0 && copy.length > 0; n -= 1) copy[random.int(copy.length)] = random.int(256);
      return copy;
    }
    case 1: {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) {
        const at = random.int(copy.length);
        copy[at] = (copy[at] ?? 0) ^ (1 << random.int(8));
      }
      return copy;
    }
    case 2:
      return bytes.subarray(0, random.int(bytes.length + 1));
    case 3:
      return Buffer.concat([bytes, random.bytes(1 + random.int(100))]);
    case 4: {
      const from = random.int(bytes.length + 1);
      const to = from + random.int(bytes.length - from + 1);
      return Buffer.concat([bytes.subarray(0, from), bytes.subarray(to)]);
    }
    case 5: {
      const from = random.int(bytes.length + 1);
      const to = from + random.int(bytes.length - from + 1);
      return Buffer.concat([bytes.subarray(0, to), bytes.subarray(from)]);
    }
    default: {
      const copy = Buffer.from(bytes);
      const word = 2 * random.int(6);
      if (copy.length >= word + 2) copy.writeUInt16BE(random.next() < 0.5 ? random.int(4) : random.int(65536), word);
      return copy;
    }
  }
}

test('random bytes of 0 to 600: never a throw, every reply decodes with the id', (t) => {
  fuzz(t, SEED, (random) => random.bytes(random.int(601)));
});

/** A label: random bytes, or one of the zone's labels in random case. */
function randomLabel(random: Random): Buffer {
  if (random.next() < 0.5) return random.bytes(1 + random.int(63));
  const known = ['web', 'api', 'kube', 'default', 'shop', 'svc', 'cluster', 'local'][random.int(8)] ?? 'svc';
  return Buffer.from([...known].map((c) => (random.next() < 0.5 ? c.toUpperCase() : c)).join(''), 'latin1');
}

test('well-formed questions of random labels, types and classes, sometimes with trailing bytes', (t) => {
  fuzz(t, SEED + 1, (random) => {
    const header = random.bytes(12);
    header.writeUInt16BE(header.readUInt16BE(2) & 0x07ff, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt32BE(0, 6);
    header.writeUInt16BE(0, 10);
    const labels = Array.from({ length: random.int(7) }, () => randomLabel(random)).map((label) => Buffer.concat([Buffer.from([label.length]), label]));
    const typeAndClass = Buffer.alloc(4);
    typeAndClass.writeUInt16BE([1, 28, 255, 6, 252, random.int(65536)][random.int(6)] ?? 1, 0);
    typeAndClass.writeUInt16BE(random.next() < 0.8 ? 1 : random.int(65536), 2);
    const tail = random.next() < 0.2 ? random.bytes(random.int(40)) : Buffer.alloc(0);
    return Buffer.concat([header, ...labels, Buffer.from([0]), typeAndClass, tail]);
  });
});

test('mutations of valid queries: never a throw, every reply decodes with the id', (t) => {
  fuzz(t, SEED + 2, (random) => {
    let bytes = VALID[random.int(VALID.length)] ?? Buffer.alloc(0);
    for (let n = 1 + random.int(3); n > 0; n -= 1) bytes = mutateOnce(random, bytes);
    return bytes;
  });
});
