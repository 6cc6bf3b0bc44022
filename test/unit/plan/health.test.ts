/** The director's plan with the health monitor's view: inhibit, remove, quorum and sorry server. */
import test from 'ava';
import { planNode } from '../../../daemon/plan/plan.js';
import type { HealthView } from '../../../daemon/plan/real-servers.js';
import { KEY_RS1, KEY_RS2, seedLab, seedWeb, tcpCheckEvery } from '../health/helpers.js';

const RS1 = { address: '192.168.113.99', port: 8080, forwarding: 'nat', weight: 1 } as const;
const RS2 = { address: '192.168.113.98', port: 8080, forwarding: 'nat', weight: 1 } as const;
const CLIENT_SORRY = { address: '192.168.113.102', port: 8080, forwarding: 'nat', weight: 1 } as const;

const health = (down: readonly string[], up: readonly string[] = []): HealthView =>
  new Map<string, { healthy: boolean }>([...down.map((k): [string, { healthy: boolean }] => [k, { healthy: false }]), ...up.map((k): [string, { healthy: boolean }] => [k, { healthy: true }])]);

const realsOf = (lab = seedLab(), view?: HealthView) => planNode(lab, 'ds', view === undefined ? undefined : { health: view }).desired.ipvs[0]?.realServers;

const inhibit = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000) }));
const remove = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000, { onFailure: 'remove' }) }));

test('without runtime input, or with everything healthy, the plan is the lab', (t) => {
  t.deepEqual(realsOf(inhibit), [RS1, RS2]);
  t.deepEqual(realsOf(inhibit, health([], [KEY_RS1, KEY_RS2])), [RS1, RS2]);
  t.deepEqual(realsOf(inhibit, new Map()), [RS1, RS2], 'a real server the monitor has not seen is healthy');
  t.deepEqual(planNode(inhibit, 'ds', {}), planNode(inhibit, 'ds'));
});

test('a virtual server without healthCheck ignores the health view', (t) => {
  const unchecked = seedWeb(({ healthCheck: _, ...vs }) => vs);
  t.deepEqual(realsOf(unchecked, health([KEY_RS1, KEY_RS2])), [RS1, RS2]);
});

test('inhibit: an unhealthy real server stays with weight 0', (t) => {
  t.deepEqual(realsOf(inhibit, health([KEY_RS2])), [RS1, { ...RS2, weight: 0 }]);
  t.deepEqual(realsOf(inhibit, health([KEY_RS1, KEY_RS2])), [{ ...RS1, weight: 0 }, { ...RS2, weight: 0 }]);
});

test('remove: an unhealthy real server is absent', (t) => {
  t.deepEqual(realsOf(remove, health([KEY_RS2])), [RS1]);
  t.deepEqual(realsOf(remove, health([KEY_RS1, KEY_RS2])), []);
});

test('quorum not met: the sorry server is the only real server', (t) => {
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000), quorum: 2, sorryServer: { node: 'client', port: 8080 } }));
  t.deepEqual(realsOf(lab), [RS1, RS2]);
  t.deepEqual(realsOf(lab, health([KEY_RS2])), [CLIENT_SORRY]);
  t.deepEqual(realsOf(lab, health([], [KEY_RS1, KEY_RS2])), [RS1, RS2]);
});

test('a sorry server without quorum takes over when no real server is healthy (quorum 1)', (t) => {
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000, { onFailure: 'remove' }), sorryServer: { node: 'client', port: 8080 } }));
  t.deepEqual(realsOf(lab, health([KEY_RS2])), [RS1]);
  t.deepEqual(realsOf(lab, health([KEY_RS1, KEY_RS2])), [CLIENT_SORRY]);
});

test('quorum not met without a sorry server: only inhibit/remove apply', (t) => {
  const lab = seedWeb((vs) => ({ ...vs, healthCheck: tcpCheckEvery(2000), quorum: 2 }));
  t.deepEqual(realsOf(lab, health([KEY_RS2])), [RS1, { ...RS2, weight: 0 }]);
});

test('the sorry server uses the service forwarding; a configured weight 0 still counts as healthy for the quorum', (t) => {
  const lab = seedWeb((vs) => ({
    ...vs,
    forwarding: 'dr',
    port: 8080,
    healthCheck: tcpCheckEvery(2000),
    quorum: 2,
    realServers: [{ node: 'rs1', port: 8080, weight: 0 }, { node: 'rs2', port: 8080, weight: 1 }],
    sorryServer: { node: 'rs1', port: 8080 },
  }));
  const key = (ip: string) => `10.10.0.1:8080/tcp -> ${ip}:8080`;
  t.deepEqual(realsOf(lab, new Map()), [{ ...RS1, forwarding: 'dr', weight: 0 }, { ...RS2, forwarding: 'dr' }]);
  t.deepEqual(realsOf(lab, health([key('192.168.113.98')])), [{ ...RS1, forwarding: 'dr' }]);
});

test('a real-server node that is only a sorry server runs the backend and gets what its forwarding needs', (t) => {
  const lab = seedWeb((vs) => ({ ...vs, snat: false, realServers: [{ node: 'rs1', port: 8080, weight: 1 }], sorryServer: { node: 'rs2', port: 9090 } }));
  const rs2 = planNode(lab, 'rs2');
  t.deepEqual(rs2.backends, [{ protocol: 'tcp', port: 9090 }]);
  t.deepEqual(rs2.desired.routes, [{ dst: '192.168.113.102/32', via: '192.168.113.101' }], 'gateway mode: answers go back through the director');
  t.deepEqual(planNode(seedLab(), 'rs2').backends, [{ protocol: 'tcp', port: 8080 }]);
});
