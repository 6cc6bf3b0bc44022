/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message follows its length as a 2-byte
 * big-endian prefix. A FrameReader takes the bytes as they arrive, in any split, and hands back the
 * whole messages; a partial one waits for the rest. Pure (no sockets).
 */
import { HEADER_BYTES } from './wire.js';

const PREFIX_BYTES = 2;

export type Frames =
  | { readonly ok: true; readonly messages: readonly Buffer[] }
  /** The stream cannot be DNS: the connection should be closed. */
  | { readonly ok: false; readonly reason: string };

/** The 2-byte length prefix of a message. */
export function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

export class FrameReader {
  /** Bytes received and not yet handed out, as they came (joined only once a message is whole). */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  /** Bytes of a message still incomplete (at most 2 + 65535). */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** The messages `chunk` completes, in order; or why the stream is broken (a length below a header). */
  push(chunk: Buffer): Frames {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    const messages: Buffer[] = [];
    while (this.bufferedBytes >= PREFIX_BYTES) {
      const length = this.take(PREFIX_BYTES, false).readUInt16BE(0);
      if (length < HEADER_BYTES) return { ok: false, reason: `a ${length}-byte frame cannot hold a DNS header` };
      if (this.bufferedBytes < PREFIX_BYTES + length) break;
      messages.push(this.take(PREFIX_BYTES + length, true).subarray(PREFIX_BYTES));
    }
    return { ok: true, messages };
  }

  /** The first `bytes` buffered bytes (there are that many), removed when `consume`. */
  private take(bytes: number, consume: boolean): Buffer {
    if ((this.chunks[0]?.length ?? 0) < bytes) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0] ?? Buffer.alloc(0);
    if (consume) {
      const rest = first.subarray(bytes);
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
      this.bufferedBytes -= bytes;
    }
    return first.subarray(0, bytes);
  }
}
