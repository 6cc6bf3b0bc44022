/** Shared by the verify tests: the reference lab, the captured fixtures, and a scripted fake Runner. */
import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { DEFAULT_SERVICE_MODE, type LabConfig, type VirtualServerConfig } from '../../../daemon/config/types.js';
import type { RunOptions, RunResult, Runner } from '../../../daemon/kernel/runner.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import type { Facts } from '../../../daemon/verify/types.js';

/** A captured file, read from the repo root (tests run with cwd = repo root). */
export const fixture = (name: string): string => readFileSync(`test/fixtures/tools/${name}`, 'utf8');
/** `ipset save LVSLAB-SNAT` on the captured director: the SNAT set's lines of its `ipset save`. */
export const snatSetSave = (): string => `${fixture('ipset-save.txt').split('\n').filter((l) => / LVSLAB-SNAT /.test(l)).join('\n')}\n`;

const node = (name: string, role: LabConfig['nodes'][number]['role'], ip: string) => ({ name, role, address: `${ip}/24`, ip, prefixLength: 24, api: { host: '127.0.0.1', port: 9410 } });

export const web: VirtualServerConfig = {
  name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr', forwarding: 'nat', snat: true,
  realServers: [{ node: 'rs1', port: 8080, weight: 1 }, { node: 'rs2', port: 8080, weight: 1 }],
};

/** The reference lab of lab-story.md. */
export const lab: LabConfig = {
  lab: 'seed', prefix: 'LVSLAB-', interface: 'lvslab0', masqueradeMark: 0x4000, reconcileSchedule: '*/5 * * * * *', reconcileCpuPercent: 10,
  nodes: [node('ds', 'director', '192.168.113.101'), node('client', 'client', '192.168.113.102'),
    node('rs1', 'real-server', '192.168.113.99'), node('rs2', 'real-server', '192.168.113.98')],
  virtualServers: [web],
  blocklists: [],
  services: [],
  serviceMode: DEFAULT_SERVICE_MODE,
};

/** The lab with its one virtual server changed. */
export const withVs = (edit: Partial<VirtualServerConfig>): { lab: LabConfig; vs: VirtualServerConfig } => {
  const vs = { ...web, ...edit };
  return { lab: { ...lab, virtualServers: [vs] }, vs };
};

/** Facts of a healthy reference lab; tests spoil one field at a time. */
export const goodFacts: Facts = {
  clientRouteToVip: { via: '192.168.113.101', dev: 'eth0' },
  directorSysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.vs.conntrack': '1' },
  snatRulePresent: true,
  ipvsServicePresent: true,
  realServerBackends: { rs1: true, rs2: true },
  realServerGateways: { rs1: '192.168.113.102', rs2: '192.168.113.102' },
};

/** What the backend answers plus curl's `-w` line. */
export const curlOut = (node: string, port: number): string => `${node}\n\n${port} 200`;

export interface Reply { readonly stdout?: string; readonly stderr?: string; readonly exitCode?: number }

/** node → argv joined by spaces → the replies, used in order (the last one repeats). */
export type Script = Record<string, Record<string, Reply | readonly Reply[]>>;

/**
 * Runners that answer only the argv in `script` and fail the test on any other (so nothing passes
 * because a command was silently skipped or invented). Like the real Runner they throw a ToolError when
 * the exit code is neither 0 nor in okExitCodes. `unused()` lists scripted commands never run.
 */
export function scriptedAccess(t: ExecutionContext, script: Script) {
  const used = new Map<string, number>();
  const runnerFor = (nodeName: string): Runner => ({
    netns: undefined,
    async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
      const key = argv.join(' ');
      const entry = script[nodeName]?.[key];
      if (entry === undefined) {
        t.fail(`unexpected command on ${nodeName}: ${JSON.stringify(argv)}`);
        throw new Error(`unexpected command on ${nodeName}: ${key}`);
      }
      const replies: readonly Reply[] = Array.isArray(entry) ? entry : [entry as Reply];
      const n = used.get(`${nodeName}|${key}`) ?? 0;
      used.set(`${nodeName}|${key}`, n + 1);
      const { stdout = '', stderr = '', exitCode = 0 } = replies[Math.min(n, replies.length - 1)] ?? {};
      if (exitCode !== 0 && !(options?.okExitCodes ?? []).includes(exitCode)) {
        throw new ToolError({ argv, exitCode, stderr, durationMs: 1, timedOut: false });
      }
      return { argv, exitCode, stdout, stderr, durationMs: 1 };
    },
  } satisfies Runner);
  const unused = (): string[] =>
    Object.entries(script).flatMap(([n, cmds]) => Object.keys(cmds).filter((k) => !used.has(`${n}|${k}`)).map((k) => `${n}: ${k}`));
  const count = (nodeName: string, key: string): number => used.get(`${nodeName}|${key}`) ?? 0;
  return { access: { runnerFor }, unused, count };
}
