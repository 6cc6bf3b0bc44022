import test from 'ava';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import { conntrackAdapter, parseConntrack, parseConntrackLine, renderConntrackFilter } from '../../../daemon/kernel/conntrack/index.js';
import { capturedStderr, fakeRunner, fixture } from './helpers.js';

test('parseConntrack: the client flow with sport 55122 went to the VIP and was answered by it', (t) => {
  const flows = parseConntrack(fixture('conntrack-L-client.txt'));
  t.is(flows.length, 6);
  t.deepEqual(flows.find((f) => f.original.sport === 55122), {
    protocol: 'tcp', protoNum: 6, timeout: 111, state: 'TIME_WAIT',
    original: { src: '192.168.113.102', dst: '10.10.0.1', sport: 55122, dport: 8410 },
    reply: { src: '10.10.0.1', dst: '192.168.113.102', sport: 8410, dport: 55122 },
    assured: true, unreplied: false, mark: 0, use: 1,
  });
});

test('parseConntrack: the zone=7 udp flow is unreplied, has no state, is not assured', (t) => {
  const zoned = parseConntrack(fixture('conntrack-L-client.txt')).filter((f) => f.zone !== undefined);
  t.is(zoned.length, 1);
  t.like(zoned[0], { protocol: 'udp', protoNum: 17, timeout: 23, zone: 7, unreplied: true, assured: false, original: { dst: '192.168.113.250', dport: 7777 } });
  t.false('state' in (zoned[0] ?? {}));
});

test('parseConntrack: on the director the reply comes from the real server (NAT)', (t) => {
  const flows = parseConntrack(fixture('conntrack-L-ds.txt'));
  t.is(flows.length, 5);
  const f = flows.find((x) => x.original.sport === 55122);
  t.deepEqual(f?.reply, { src: '192.168.113.98', dst: '192.168.113.101', sport: 8080, dport: 55122 });
  t.deepEqual(flows.find((x) => x.original.sport === 41472)?.original.src, '10.10.0.1');
  t.deepEqual(parseConntrack(fixture('conntrack-L-fresh.txt')), []);
});

test('parseConntrack (handmade fixture, not captured): icmp, ESTABLISHED, [OFFLOAD]', (t) => {
  const [icmp, established, offload] = parseConntrack(fixture('conntrack-L-handmade.txt'));
  t.deepEqual(icmp, {
    protocol: 'icmp', protoNum: 1, timeout: 29,
    original: { src: '192.168.113.102', dst: '192.168.113.101', icmpType: 8, icmpCode: 0, icmpId: 1234 },
    reply: { src: '192.168.113.101', dst: '192.168.113.102', icmpType: 0, icmpCode: 0, icmpId: 1234 },
    assured: false, unreplied: false, mark: 0, use: 1,
  });
  t.like(established, { state: 'ESTABLISHED', timeout: 431999, assured: true, unreplied: false });
  t.like(offload, { state: 'ESTABLISHED', assured: false, unreplied: false, use: 2, reply: { src: '192.168.113.98', sport: 443 } });
});

test('parseConntrackLine: zero timeout left out, trailing id= is not the tuple, bad lines throw', (t) => {
  const flow = parseConntrackLine('udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1 id=99');
  t.is(flow.timeout, 0);
  t.is(flow.reply.icmpId, undefined);
  t.throws(() => parseConntrackLine('tcp 6 10 ESTABLISHED src=1.1.1.1 dst=2.2.2.2'), { message: /1 tuples in line: tcp 6 10/ });
  t.throws(() => parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 5 flow entries have been shown.'), { message: /in line: conntrack v1\.4\.7/ });
  t.throws(() => parseConntrackLine('tcp 6 10 src=1.1.1.1 dst=2.2.2.2 sport=x'), { message: /bad sport=x/ });
});

test('renderConntrackFilter', (t) => {
  t.deepEqual(renderConntrackFilter(), []);
  t.deepEqual(renderConntrackFilter({ protocol: 'tcp', dport: 8410, dst: '10.10.0.1' }), ['-p', 'tcp', '--dport', '8410', '-d', '10.10.0.1']);
  t.throws(() => renderConntrackFilter({ dport: 53 }), { message: /dport needs a protocol/ });
});

test('conntrackAdapter.list: conntrack -L with the filter; zero flows is not an error', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: fixture('conntrack-L-fresh.txt'), ...capturedStderr('conntrack-L-fresh.txt') }));
  t.deepEqual(await conntrackAdapter(runner).list(), []);
  t.deepEqual(await conntrackAdapter(runner).list({ protocol: 'udp', dport: 53 }), []);
  t.deepEqual(calls.map((c) => c.argv), [['conntrack', '-L'], ['conntrack', '-L', '-p', 'udp', '--dport', '53']]);
});

test('conntrackAdapter.deleteFlows: the count from stderr; exit 1 with 0 deleted is 0', async (t) => {
  const deleted = fakeRunner(() => ({ stderr: 'conntrack v1.4.7 (conntrack-tools): 4 flow entries have been deleted.\n' }));
  t.is(await conntrackAdapter(deleted.runner).deleteFlows({ dst: '10.10.0.1' }), 4);
  t.deepEqual(deleted.calls.map((c) => c.argv), [['conntrack', '-D', '-d', '10.10.0.1']]);
  const none = fakeRunner(() => ({ stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n', exitCode: 1 }));
  t.is(await conntrackAdapter(none.runner).deleteFlows({ protocol: 'tcp', dport: 8410 }), 0);
});

test('conntrackAdapter.deleteFlows: a real failure throws; an empty filter is refused', async (t) => {
  const failing = fakeRunner(() => ({ stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Permission denied\n', exitCode: 1 }));
  const err = await t.throwsAsync(conntrackAdapter(failing.runner).deleteFlows({ dst: '10.10.0.1' }));
  t.true(err instanceof ToolError);
  await t.throwsAsync(conntrackAdapter(failing.runner).deleteFlows({}), { message: /refusing/ });
  t.is(failing.calls.length, 1);
});
