/**
 * A temporary directory for one test file, removed with everything in it when the file's tests are
 * done: the suite leaves nothing in the host's /tmp (it left a directory per ledger a test wrote).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
test.after.always('remove the temporary directories', () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temporary one, named PREFIX + 6 random characters. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
