/** Where lvslab is installed: the folder of its package.json, found from this module's own location. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'lvslab') return dir;
    if (dirname(dir) === dir) throw new Error(`lvslab: no package.json of lvslab above ${from}`);
  }
}

export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
/** The bundled programs (scripts/bundle.mjs). */
export const cliProgram = join(packageRoot, 'dist/bin/lvslab.js');
export const daemonProgram = join(packageRoot, 'dist/bin/lvslabd.js');
export const microvmScript = join(packageRoot, 'scripts/microvm.sh');
