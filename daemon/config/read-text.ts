/**
 * Reading a text file with a size limit: never blocks on a FIFO, never reads more than one byte past
 * the limit (the file may grow after stat()), and refuses what is not UTF-8.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type TextRead =
  | { readonly ok: true; readonly text: string; readonly bytes: number }
  | { readonly ok: false; readonly tooBig: string }
  | { readonly ok: false; readonly tooBig?: undefined; readonly reason: string };

/** `what` names the file in reasons ("the lab file"); a file over `maxBytes` is { tooBig: "N bytes" }. */
export async function readTextFile(path: string, maxBytes: number, what: string): Promise<TextRead> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang; the isFile() check below refuses it anyway.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, reason: `cannot open ${what}: ${describeError(error)}` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: 'not a regular file' };
    if (stat.size > maxBytes) return { ok: false, tooBig: `${stat.size} bytes` };
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0 || (length += bytesRead) >= buffer.length) break;
    }
    if (length > maxBytes) return { ok: false, tooBig: `${length} bytes or more` };
    if (length > stat.size) return { ok: false, reason: `${what} grew while it was read; try again` };
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length)), bytes: length };
    } catch {
      return { ok: false, reason: `${what} is not valid UTF-8 text` };
    }
  } catch (error) {
    return { ok: false, reason: `cannot read ${what}: ${describeError(error)}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !text.startsWith(code) ? `${code}: ${text}` : text;
}
