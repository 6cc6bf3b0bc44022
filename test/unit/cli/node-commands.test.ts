/** `lvslab status`'s verdict on the daemon's /v1/state (node-commands.ts daemonSaysConverged). */
import test from 'ava';
import type { StatusDocument } from '../../../daemon/api/state-document.js';
import { daemonSaysConverged } from '../../../daemon/cli/node-commands.js';

const doc = (over: Partial<StatusDocument>) => ({ document: { converged: true, ...over } as StatusDocument });

test('status passes only when the daemon answers, its last run converged and no reload was refused', (t) => {
  t.true(daemonSaysConverged(doc({})));
  t.true(daemonSaysConverged(doc({ reloadProblems: [] })));
  t.false(daemonSaysConverged(doc({ converged: false })), 'the daemon says the node still differs');
  t.false(daemonSaysConverged(doc({ reloadProblems: ['lab.yaml: virtualServers[0].port: 70000 — …'] })), 'the daemon keeps the last good lab, not the file');
  t.false(daemonSaysConverged({ error: 'not reachable at 127.0.0.1:9410 (curl exited 7)' }));
  t.false(daemonSaysConverged(undefined), 'no daemon document at all');
});
