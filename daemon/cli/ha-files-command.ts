/**
 * `lvslab ha-files LAB --node NAME --link IF --out DIR` (hidden; run by scripts/provision.sh): writes
 * the keepalived.conf, conntrackd.conf and notify script of an HA lab's director NAME whose lab link is
 * IF into DIR (IF empty: an error for a director, which must have one), each named after its file on the machine (ha/machine-files.ts), and prints where each
 * goes; prints that NAME has none when it is not an HA director. Touches nothing else.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isHaDirector } from '../ha/keepalived-conf.js';
import { machineHaFiles } from '../ha/machine-files.js';
import { onPath } from '../lab/ha-lab.js';
import { findNode } from '../plan/plan.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';

export async function haFilesCommand(ctx: CliContext, labPath: string | undefined, node: string, link: string, out: string): Promise<number> {
  const { lab, path } = await resolveLab(labPath, false);
  try {
    findNode(lab, node);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`, EXIT.badInput);
  }
  if (!isHaDirector(lab, node)) {
    ctx.out(`${node} is not a director of an HA lab: no keepalived or conntrackd`);
    return EXIT.ok;
  }
  if (link === '') throw new CliError(`${node} is a director of HA lab ${lab.lab}, but no link of this machine holds its address ${findNode(lab, node).ip}`, EXIT.failed);
  const files = machineHaFiles(lab, node, link, { curl: onPath('curl'), conntrackd: onPath('conntrackd') });
  await mkdir(out, { recursive: true });
  for (const f of files) {
    await writeFile(join(out, basename(f.path)), f.text, { mode: f.mode });
    ctx.out(`${basename(f.path)} ${f.path} ${f.mode.toString(8)}`);
  }
  return EXIT.ok;
}
