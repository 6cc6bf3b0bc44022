import test from 'ava';
import type { StatusDocument } from '../../../daemon/api/state-document.js';
import { renderStatus } from '../../../daemon/cli/status-view.js';

const director: StatusDocument = {
  lab: 'seed', node: 'ds', role: 'director', pid: 4242, startedAt: '2024-05-01T10:00:00.000Z', converged: true,
  lastReconcile: {
    at: '2024-05-01T10:05:00.000Z', ok: true, durationMs: 95, remaining: 0,
    changes: ['ipvs: weight of 192.168.113.98:8080 in tcp 10.10.0.1:8410 1 → 0', 'ipvs: weight of 192.168.113.99:8080 in tcp 10.10.0.1:8410 0 → 1'],
    countsByKind: { 'rs-edit': 2 },
  },
  virtualServers: [
    {
      name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr',
      realServers: [
        { node: 'rs1', address: '192.168.113.99', port: 8080, weight: 1, desiredWeight: 1, healthy: true, activeConns: 12, inactiveConns: 340 },
        { node: 'rs2', address: '192.168.113.98', port: 8080, weight: 0, desiredWeight: 1, healthy: false, activeConns: 0, inactiveConns: 5, drainingSince: '2024-05-01T10:04:30.000Z' },
        { address: '192.168.113.50', port: 8080, weight: 2, desiredWeight: 2 },
      ],
    },
    { name: 'dns', vip: '10.10.0.2', port: 53, protocol: 'udp', scheduler: 'wrr', realServers: [] },
  ],
};

test('renderStatus: header, convergence, last reconcile with its changes, one table per virtual server', (t) => {
  t.is(renderStatus(director), [
    'lab seed, node ds (director), lvslabd pid 4242, started 2024-05-01T10:00:00.000Z',
    'converged: yes',
    'last reconcile: 2024-05-01T10:05:00.000Z, 2 changes applied (rs-edit 2) in 95 ms',
    '  ipvs: weight of 192.168.113.98:8080 in tcp 10.10.0.1:8410 1 → 0',
    '  ipvs: weight of 192.168.113.99:8080 in tcp 10.10.0.1:8410 0 → 1',
    '',
    'web 10.10.0.1:8410/tcp rr',
    '  REAL SERVER          NODE  WEIGHT     HEALTH   ACTIVE  INACTIVE  DRAINING SINCE',
    '  192.168.113.99:8080  rs1   1          up       12      340       -',
    '  192.168.113.98:8080  rs2   0 (lab 1)  down     0       5         2024-05-01T10:04:30.000Z',
    '  192.168.113.50:8080  -     2          unknown  -       -         -',
    '',
    'dns 10.10.0.2:53/udp wrr',
    '  (no real servers)',
  ].join('\n'));
});

test('renderStatus with now: times also say how long ago', (t) => {
  const lines = renderStatus(director, { now: new Date('2024-05-01T10:05:12.000Z') }).split('\n');
  t.is(lines[0], 'lab seed, node ds (director), lvslabd pid 4242, started 2024-05-01T10:00:00.000Z (5 min ago)');
  t.is(lines[2], 'last reconcile: 2024-05-01T10:05:00.000Z (12 s ago), 2 changes applied (rs-edit 2) in 95 ms');
  t.is(lines[9], '  192.168.113.98:8080  rs2   0 (lab 1)  down     0       5         2024-05-01T10:04:30.000Z (42 s ago)');
  const days = renderStatus(director, { now: new Date('2024-05-04T10:00:00.000Z') }).split('\n');
  t.is(days[0], 'lab seed, node ds (director), lvslabd pid 4242, started 2024-05-01T10:00:00.000Z (3 d ago)');
});

test('renderStatus: a failed reconcile, refused reload, a node without virtual servers', (t) => {
  const failed: StatusDocument = {
    lab: 'seed', node: 'rs1', role: 'real-server', pid: 77, startedAt: '2024-05-01T10:00:00.000Z', converged: false,
    lastReconcile: { at: '2024-05-01T10:00:03.000Z', ok: false, durationMs: 2100, changes: [], countsByKind: {}, remaining: 0, error: { reason: "ip exited 2; its stderr is in the daemon's log", argv: ['ip', '-batch', '-'], exitCode: 2 } },
    virtualServers: [],
    reloadProblems: ['seed.yaml: virtualServers[0].port: 70000 — must be an integer from 1 to 65535'],
  };
  t.is(renderStatus(failed), [
    'lab seed, node rs1 (real-server), lvslabd pid 77, started 2024-05-01T10:00:00.000Z',
    'converged: no (the last reconcile failed)',
    "last reconcile: 2024-05-01T10:00:03.000Z, FAILED after 2100 ms: ip exited 2; its stderr is in the daemon's log",
    'reload refused, the previous lab stays in force:',
    '  seed.yaml: virtualServers[0].port: 70000 — must be an integer from 1 to 65535',
    '',
    'no virtual servers on this node',
  ].join('\n'));
});

test('renderStatus: before the first reconcile, and with changes still needed', (t) => {
  const starting: StatusDocument = { lab: 'wrr', node: 'client', role: 'client', pid: 9, startedAt: '2024-05-01T10:00:00.000Z', converged: false, virtualServers: [] };
  t.deepEqual(renderStatus(starting).split('\n').slice(1, 3), ['converged: no (no reconcile has ended yet)', 'last reconcile: none yet']);
  const pending: StatusDocument = {
    ...starting,
    lastReconcile: { at: '2024-05-01T10:00:01.000Z', ok: true, durationMs: 40, changes: ['route: add 10.10.0.1 via 192.168.113.101'], countsByKind: { 'route-add': 1 }, remaining: 1 },
  };
  t.deepEqual(renderStatus(pending).split('\n').slice(1, 4), [
    'converged: no (1 change still needed)',
    'last reconcile: 2024-05-01T10:00:01.000Z, 1 change applied (route-add 1) in 40 ms',
    '  route: add 10.10.0.1 via 192.168.113.101',
  ]);
  const quiet = { ...pending, converged: true, lastReconcile: { ...pending.lastReconcile!, changes: [], countsByKind: {}, remaining: 0 } };
  t.is(renderStatus(quiet).split('\n')[2], 'last reconcile: 2024-05-01T10:00:01.000Z, 0 changes in 40 ms');
});

test('the JSON round trip (what `lvslab status` gets over HTTP) renders the same', (t) => {
  t.is(renderStatus(JSON.parse(JSON.stringify(director)) as StatusDocument), renderStatus(director));
});
