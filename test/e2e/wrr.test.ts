/** A second lab with other addresses, ports, names and wrr 3:1: nothing is hard-coded to the seed. */
import test from 'ava';
import type { VerifyReport } from '../../daemon/verify/types.js';
import { validateDocument } from '../shared/schemas.js';
import { hostSnapshot, lvslab, ok, root } from './helpers.js';

const lab = `${root}labs/wrr.yaml`;

test('the wrr lab converges and answers 3:1; once down, verify says it is not up here (exit 1)', async (t) => {
  const before = await hostSnapshot();
  const up = await lvslab('up', lab, '--requests', '8');
  t.log(up.stdout);
  t.is(up.exitCode, 0, up.stderr);
  try {
    const r = await lvslab('verify', lab, '--json', '--requests', '16');
    const report = JSON.parse(r.stdout) as VerifyReport;
    t.deepEqual(validateDocument('verify', report), [], 'docs/schemas/verify.schema.json');
    t.is(r.exitCode, 0);
    t.deepEqual(report.virtualServers[0]!.distribution, { web1: 12, web2: 4 });
    t.is(report.director, 'lb');
    t.is(report.client, 'user');
  } finally {
    await ok(lvslab('down', lab));
  }
  t.deepEqual(await hostSnapshot(), before);
  // down: verify says the lab is not up here rather than reading this machine as its nodes
  const after = await lvslab('verify', lab);
  t.is(after.exitCode, 1, after.stdout + after.stderr);
  t.regex(after.stderr, /^lvslab: lab wrr is not up here: no network namespace of it \(wrr-lb, wrr-user, wrr-web1, wrr-web2\)/);
  t.is(after.stdout, '');
});
