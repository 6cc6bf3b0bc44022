/** Labs with health checks for the health and plan tests (not a test file). */
import { readFileSync } from 'node:fs';
import { parseLab } from '../../../daemon/config/load.js';
import type { HealthCheckConfig, LabConfig, VirtualServerConfig } from '../../../daemon/config/types.js';

export const seedLab = (): LabConfig => {
  const result = parseLab(readFileSync(`${process.cwd()}/labs/seed.yaml`, 'utf8'), 'seed.yaml');
  if (!result.ok) throw new Error('labs/seed.yaml does not load');
  return result.lab;
};

export const tcpCheckEvery = (intervalMs: number, extra: Partial<HealthCheckConfig> = {}): HealthCheckConfig =>
  ({ type: 'tcp', intervalMs, retryDelayMs: intervalMs, timeoutMs: Math.max(1, intervalMs / 2), rise: 2, fall: 2, onFailure: 'inhibit', ...extra }) as HealthCheckConfig;

/** The seed lab with its virtual server "web" changed by `edit`. */
export function seedWeb(edit: (vs: VirtualServerConfig) => VirtualServerConfig, lab = seedLab()): LabConfig {
  return { ...lab, virtualServers: lab.virtualServers.map((vs) => (vs.name === 'web' ? edit(vs) : vs)) };
}

export const KEY_RS1 = '10.10.0.1:8410/tcp -> 192.168.113.99:8080';
export const KEY_RS2 = '10.10.0.1:8410/tcp -> 192.168.113.98:8080';

/** Polls `condition` every 5 ms for up to `ms`; true when it held. */
export async function eventually(condition: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
