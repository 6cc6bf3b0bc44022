import type { StatusSource } from '../../../daemon/api/server.js';
import type { StatusDocument } from '../../../daemon/api/state-document.js';

export interface FakeSource extends StatusSource {
  health: { ok: boolean; reason?: string };
  readonly stateDoc: StatusDocument;
  readonly flows: unknown[];
  readonly calls: { state: number; conntrack: number; healthy: number };
}

export const sampleState = (): StatusDocument => ({
  lab: 'seed', node: 'ds', role: 'director', pid: 4242, startedAt: '2024-05-01T10:00:00.000Z', converged: true,
  lastReconcile: { at: '2024-05-01T10:00:05.000Z', ok: true, durationMs: 120, changes: [], countsByKind: {}, remaining: 0 },
  virtualServers: [{
    name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr',
    realServers: [{ node: 'rs1', address: '192.168.113.99', port: 8080, weight: 1, desiredWeight: 1, healthy: true, activeConns: 0, inactiveConns: 3 }],
  }],
});

export function fakeSource(): FakeSource {
  const calls = { state: 0, conntrack: 0, healthy: 0 };
  const flows = [{
    protocol: 'tcp', protoNum: 6, timeout: 111, state: 'TIME_WAIT',
    original: { src: '192.168.113.102', dst: '10.10.0.1', sport: 55122, dport: 8410 },
    reply: { src: '192.168.113.98', dst: '192.168.113.101', sport: 8080, dport: 55122 },
    assured: true, unreplied: false,
  }];
  const source: FakeSource = {
    health: { ok: true },
    stateDoc: sampleState(),
    flows,
    calls,
    state() {
      calls.state += 1;
      return source.stateDoc;
    },
    async conntrack() {
      calls.conntrack += 1;
      return flows;
    },
    healthy() {
      calls.healthy += 1;
      return source.health;
    },
  };
  return source;
}

/** A logger that keeps warn and error calls (the server's only other calls are debug/info lines). */
export function fakeLog() {
  const errors: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return {
    errors,
    warnings,
    debug: ignore,
    info: ignore,
    warn: (_obj: object, message: string) => {
      warnings.push(message);
    },
    error: (obj: Record<string, unknown>) => {
      errors.push(obj);
    },
  };
}
