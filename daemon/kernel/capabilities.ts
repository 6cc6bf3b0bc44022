/** What this machine's kernel can do, probed once. */
import { existsSync, readFileSync } from 'node:fs';
import type { Runner } from './runner.js';

export interface Capabilities {
  readonly ipvs: boolean;
  readonly kernel: string;
  readonly inMicroVm: boolean;
}

export async function probeCapabilities(runner: Runner): Promise<Capabilities> {
  if (!existsSync('/proc/net/ip_vs')) {
    await runner.run(['modprobe', 'ip_vs']).catch(() => undefined);
  }
  return {
    ipvs: existsSync('/proc/net/ip_vs'),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    inMicroVm: process.env.LVSLAB_IN_MICROVM === '1',
  };
}
