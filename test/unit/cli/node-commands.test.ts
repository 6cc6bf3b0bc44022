/** `lvslab status`'s verdict: the daemon's /v1/state (daemonSaysConverged) and the dry run's differences with the daemon's health view. */
import test from 'ava';
import type { StatusDocument } from '../../../daemon/api/state-document.js';
import { daemonSaysConverged, healthFromState, statusHolds } from '../../../daemon/cli/node-commands.js';
import { realServerId } from '../../../daemon/plan/keys.js';

const doc = (over: Partial<StatusDocument>) => ({ document: { converged: true, ...over } as StatusDocument });

test('status passes only when the daemon answers, its last run converged and no reload was refused', (t) => {
  t.true(daemonSaysConverged(doc({})));
  t.true(daemonSaysConverged(doc({ reloadProblems: [] })));
  t.false(daemonSaysConverged(doc({ converged: false })), 'the daemon says the node still differs');
  t.false(daemonSaysConverged(doc({ reloadProblems: ['lab.yaml: virtualServers[0].port: 70000 — …'] })), 'the daemon keeps the last good lab, not the file');
  t.false(daemonSaysConverged({ error: 'not reachable at 127.0.0.1:9410 (curl exited 7)' }));
  t.false(daemonSaysConverged(undefined), 'no daemon document at all');
});

test('status fails when the dry run finds a difference (or fails), even when the daemon says converged', (t) => {
  const change = 'ipvs tcp:10.10.0.1:8410 → 192.168.113.99:8080: weight 7 → 1';
  t.true(statusHolds({ ok: true, changes: [] }, doc({})));
  t.false(statusHolds({ ok: true, changes: [change] }, doc({})), 'the node differs from the lab');
  t.false(statusHolds({ ok: false, changes: [] }, doc({})), 'the dry run could not read the node');
  t.false(statusHolds({ ok: true, changes: [] }, { error: 'not reachable at 127.0.0.1:9410 (curl exited 7)' }));
});

test('healthFromState: the daemon\'s verdicts keyed as the planner keys real servers; none without a check', (t) => {
  const web = { name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp' as const, scheduler: 'rr' };
  const rs = (address: string, healthy?: boolean) => ({ address, port: 8080, weight: healthy === false ? 0 : 1, desiredWeight: 1, ...(healthy === undefined ? {} : { healthy }) });
  const view = healthFromState({ virtualServers: [{ ...web, realServers: [rs('192.168.113.99', false), rs('192.168.113.98', true)] }, { ...web, name: 'dns', protocol: 'udp', port: 53, realServers: [rs('192.168.113.99')] }] } as unknown as StatusDocument);
  t.deepEqual([...view], [
    [realServerId({ protocol: 'tcp', address: '10.10.0.1', port: 8410 }, { address: '192.168.113.99', port: 8080 }), { healthy: false }],
    [realServerId({ protocol: 'tcp', address: '10.10.0.1', port: 8410 }, { address: '192.168.113.98', port: 8080 }), { healthy: true }],
  ]);
});
