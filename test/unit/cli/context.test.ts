/** The CLI's lab access on this machine, through the real `ip` (read-only: `ip netns list`, `ip -j addr show`). */
import test from 'ava';
import pino from 'pino';
import { CliError, EXIT, upLabAccess } from '../../../daemon/cli/context.js';
import { lab as seed } from '../verify/helpers.js';

test('upLabAccess refuses a lab that is not up here (no namespace of it, none of its addresses), exit 1, before any command reads a node', async (t) => {
  // a lab name no namespace has, and TEST-NET-3 addresses no machine here holds
  const absent = { ...seed, lab: `absent${process.pid}`, nodes: seed.nodes.map((n, i) => ({ ...n, ip: `203.0.113.${i + 1}`, address: `203.0.113.${i + 1}/24` })) };
  const error = await t.throwsAsync(upLabAccess(absent, pino({ level: 'silent' })), { instanceOf: CliError });
  t.is(error!.exitCode, EXIT.failed);
  t.regex(error!.message, new RegExp(`^lab absent${process.pid} is not up here: no network namespace of it \\(absent${process.pid}-ds, `));
  t.regex(error!.message, /none of its node addresses \(203\.0\.113\.1, 203\.0\.113\.2, 203\.0\.113\.3, 203\.0\.113\.4\)/);
});
