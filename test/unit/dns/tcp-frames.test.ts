import test from 'ava';
import { FrameReader, frame } from '../../../daemon/dns/tcp-frames.js';
import { prng } from './helpers.js';

const message = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);

test('frame prefixes the 2-byte big-endian length', (t) => {
  t.deepEqual(frame(Buffer.from('abcdefghijkl')), Buffer.concat([Buffer.from([0, 12]), Buffer.from('abcdefghijkl')]));
  t.deepEqual(frame(message(300, 1)).subarray(0, 2), Buffer.from([1, 44]));
});

test('several messages in one chunk come out in order', (t) => {
  const reader = new FrameReader();
  const result = reader.push(Buffer.concat([frame(message(12, 1)), frame(message(40, 2)), frame(message(13, 3))]));
  t.true(result.ok);
  if (!result.ok) return;
  t.deepEqual(result.messages, [message(12, 1), message(40, 2), message(13, 3)]);
  t.is(reader.pendingBytes, 0);
});

test('a message split anywhere, even inside the prefix, waits for the rest', (t) => {
  const stream = Buffer.concat([frame(message(20, 7)), frame(message(65535, 9))]);
  for (const cut of [1, 2, 3, 21, 22, 23, 500, stream.length - 1]) {
    const reader = new FrameReader();
    const first = reader.push(stream.subarray(0, cut));
    const second = reader.push(stream.subarray(cut));
    t.true(first.ok && second.ok, String(cut));
    if (!first.ok || !second.ok) return;
    t.deepEqual([...first.messages, ...second.messages].map((m) => m.length), [20, 65535], String(cut));
    t.is(reader.pendingBytes, 0);
  }
});

test('byte by byte, and in random slices, the messages are the same', (t) => {
  const random = prng(7);
  const messages = [12, 13, 100, 512, 4000].map((size, i) => message(size, i + 1));
  const stream = Buffer.concat(messages.map(frame));
  for (const slicing of ['byte', 'random'] as const) {
    const reader = new FrameReader();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length;) {
      const size = slicing === 'byte' ? 1 : 1 + random.int(700);
      const result = reader.push(stream.subarray(at, at + size));
      t.true(result.ok);
      if (result.ok) out.push(...result.messages);
      at += size;
    }
    t.deepEqual(out, messages, slicing);
  }
});

test('a length too small to hold a DNS header breaks the stream', (t) => {
  for (const length of [0, 1, 11]) {
    const result = new FrameReader().push(Buffer.from([0, length, 1, 2, 3]));
    t.false(result.ok);
    if (!result.ok) t.regex(result.reason, new RegExp(`^a ${length}-byte frame`));
  }
  const reader = new FrameReader();
  const result = reader.push(Buffer.concat([frame(message(12, 1)), Buffer.from([0, 3])]));
  t.false(result.ok, 'after a good message');
});
