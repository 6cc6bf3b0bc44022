/** Where lvslab is installed: the folder of its package.json, found from this module's own location. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackage(from: string): { root: string; version: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    const read = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string }) : undefined;
    if (read?.name === 'lvslab') return { root: dir, version: read.version ?? 'unknown' };
    if (dirname(dir) === dir) throw new Error(`lvslab: no package.json of lvslab above ${from}`);
  }
}

const found = findPackage(dirname(fileURLToPath(import.meta.url)));
export const packageRoot: string = found.root;
/** package.json's version, as installed. */
export const packageVersion: string = found.version;
/** The bundled programs (scripts/bundle.mjs). */
export const cliProgram = join(packageRoot, 'dist/bin/lvslab.js');
export const daemonProgram = join(packageRoot, 'dist/bin/lvslabd.js');
export const microvmScript = join(packageRoot, 'scripts/microvm.sh');
