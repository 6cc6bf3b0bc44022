/** Health checks, quorum, sorry server and drain in the lab file: what loads, and every refusal. */
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import { formatDuration, parseDuration } from '../../../daemon/config/duration.js';
import { drainTimeoutMs, type LabConfig } from '../../../daemon/config/types.js';
import { hasProblem, problemsOf, SEED_CHECK, seedWith } from './helpers.js';

/** The seed lab with these lines in its virtual server "web" in place of its own health check. */
const web = (...lines: string[]): string => seedWith(SEED_CHECK, lines.map((l) => `    ${l}\n`).join(''));
const withDrain = (text: string): string => seedWith('lab: seed', `lab: seed\ndrain: ${text}`);

function load(t: import('ava').ExecutionContext, text: string): LabConfig | undefined {
  const result = parseLab(text, 'test.yaml');
  if (!result.ok) t.fail(JSON.stringify(result.problems, null, 2));
  return result.ok ? result.lab : undefined;
}

test('parseDuration: a whole number and one unit', (t) => {
  t.is(parseDuration('2s'), 2000);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('1m'), 60_000);
  t.is(parseDuration('1h'), 3_600_000);
  t.is(parseDuration('0s'), 0);
  for (const bad of ['', '2', 's', '1.5s', '02s', '-1s', '2 s', ' 2s', '1d', '1m30s', '2S', '1234567890s']) {
    t.is(parseDuration(bad), undefined, bad);
  }
  t.deepEqual([2000, 500, 60_000, 90_000, 3_600_000, 0].map(formatDuration), ['2s', '500ms', '1m', '90s', '1h', '0ms']);
});

test('an http check with every key loads, durations in milliseconds', (t) => {
  const lab = load(t, web(
    'healthCheck: { type: http, path: /healthz?full=1, expectStatus: 204, bodyContains: ok, interval: 500ms, timeout: 200ms, retryDelay: 100ms, rise: 3, fall: 1, onFailure: remove }',
    'quorum: 2',
    'sorryServer: { node: client, port: 8080 }',
  ));
  t.deepEqual(lab?.virtualServers[0]?.healthCheck, {
    type: 'http', path: '/healthz?full=1', expectStatus: 204, bodyContains: 'ok',
    intervalMs: 500, retryDelayMs: 100, timeoutMs: 200, rise: 3, fall: 1, onFailure: 'remove',
  });
  t.is(lab?.virtualServers[0]?.quorum, 2);
  t.deepEqual(lab?.virtualServers[0]?.sorryServer, { node: 'client', port: 8080 });
});

test('defaults: http GET / expecting 200, tcp with only the timing keys, every 2s with a 1s timeout, rise and fall 2, inhibit', (t) => {
  const http = load(t, web('healthCheck: { type: http }'));
  t.deepEqual(http?.virtualServers[0]?.healthCheck, {
    type: 'http', path: '/', expectStatus: 200, intervalMs: 2000, retryDelayMs: 1000, timeoutMs: 1000, rise: 2, fall: 2, onFailure: 'inhibit',
  });
  const tcp = load(t, web('healthCheck: { type: tcp, interval: 1m }'));
  t.deepEqual(tcp?.virtualServers[0]?.healthCheck, { type: 'tcp', intervalMs: 60_000, retryDelayMs: 1000, timeoutMs: 1000, rise: 2, fall: 2, onFailure: 'inhibit' });
  t.false('quorum' in (tcp?.virtualServers[0] ?? {}));
  t.false('sorryServer' in (tcp?.virtualServers[0] ?? {}));
});

test('drain: absent unless written (30s applies), a duration in milliseconds, 0s allowed', (t) => {
  const seed = load(t, seedWith('lab: seed', 'lab: seed'));
  t.false('drain' in (seed ?? {}));
  t.is(drainTimeoutMs(seed ?? { drain: undefined }), 30_000);
  t.deepEqual(load(t, withDrain('{ timeout: 45s }'))?.drain, { timeoutMs: 45_000 });
  t.deepEqual(load(t, withDrain('{ timeout: 0s }'))?.drain, { timeoutMs: 0 });
  t.deepEqual(load(t, withDrain('{}'))?.drain, { timeoutMs: 30_000 });
});

const HC = 'virtualServers[0].healthCheck';
const DURATION = (range: string) => `must be a duration like "2s", "500ms" or "1m" (a whole number and ms, s, m or h), from ${range}`;
const BAD_PATH = 'must be printable ASCII without spaces or control characters (percent-encode others, like %20)';
const TCP_ONLY = 'applies only to type http; a tcp check only connects';

const cases: [string, string, string, string, string][] = [
  ['check without type', web('healthCheck: { interval: 2s }'), `${HC}.type`, '(missing)', 'required: must be one of tcp, http'],
  ['unknown check type', web('healthCheck: { type: icmp }'), `${HC}.type`, '"icmp"', 'must be one of tcp, http'],
  ['check that is not a mapping', web('healthCheck: tcp'), HC, '"tcp"', 'must be a mapping'],
  ['typo in a check key', web('healthCheck: { type: tcp, intervl: 2s }'), `${HC}.intervl`, '"2s"', 'unknown key (did you mean "interval"?); expected one of: type, path, expectStatus, bodyContains, interval, timeout, retryDelay, rise, fall, onFailure'],
  ['path without a leading slash', web('healthCheck: { type: http, path: healthz }'), `${HC}.path`, '"healthz"', 'must start with "/" (like /healthz)'],
  ['path with a space', web('healthCheck: { type: http, path: "/a b" }'), `${HC}.path`, '"/a b"', BAD_PATH],
  ['path with a control character', web('healthCheck: { type: http, path: "/a\\tb" }'), `${HC}.path`, '"/a\\tb"', BAD_PATH],
  ['path of 201 characters', web(`healthCheck: { type: http, path: /${'a'.repeat(200)} }`), `${HC}.path`, '"/aaaa', 'must be at most 200 characters'],
  ['path on a tcp check', web('healthCheck: { type: tcp, path: / }'), `${HC}.path`, '"/"', TCP_ONLY],
  ['expectStatus on a tcp check', web('healthCheck: { type: tcp, expectStatus: 200 }'), `${HC}.expectStatus`, '200', TCP_ONLY],
  ['bodyContains on a tcp check', web('healthCheck: { type: tcp, bodyContains: ok }'), `${HC}.bodyContains`, '"ok"', TCP_ONLY],
  ['expectStatus 600', web('healthCheck: { type: http, expectStatus: 600 }'), `${HC}.expectStatus`, '600', 'must be an integer from 100 to 599'],
  ['expectStatus 99', web('healthCheck: { type: http, expectStatus: 99 }'), `${HC}.expectStatus`, '99', 'must be an integer from 100 to 599'],
  ['bodyContains of 201 characters', web(`healthCheck: { type: http, bodyContains: ${'x'.repeat(201)} }`), `${HC}.bodyContains`, '"xxxx', 'must be at most 200 characters'],
  ['bodyContains not a string', web('healthCheck: { type: http, bodyContains: [a] }'), `${HC}.bodyContains`, '["a"]', 'must be a string of at most 200 characters'],
  ['interval without a unit', web('healthCheck: { type: tcp, interval: 2 }'), `${HC}.interval`, '2', `must be a string: ${DURATION('100ms to 1h')}`],
  ['interval with a fraction', web('healthCheck: { type: tcp, interval: 1.5s }'), `${HC}.interval`, '"1.5s"', DURATION('100ms to 1h')],
  ['interval under 100ms', web('healthCheck: { type: tcp, interval: 50ms, timeout: 10ms }'), `${HC}.interval`, '"50ms"', DURATION('100ms to 1h')],
  ['interval over an hour', web('healthCheck: { type: tcp, interval: 2h }'), `${HC}.interval`, '"2h"', DURATION('100ms to 1h')],
  ['timeout equal to the interval', web('healthCheck: { type: tcp, interval: 2s, timeout: 2s }'), `${HC}.timeout`, '"2s"', 'must be shorter than the interval (2s): a check must end before the next one starts'],
  ['default timeout over a short interval', web('healthCheck: { type: tcp, interval: 500ms }'), `${HC}.timeout`, '"1s"', 'must be shorter than the interval (500ms): a check must end before the next one starts'],
  ['timeout of 0ms', web('healthCheck: { type: tcp, timeout: 0ms }'), `${HC}.timeout`, '"0ms"', DURATION('1ms to 1h')],
  ['rise 0', web('healthCheck: { type: tcp, rise: 0 }'), `${HC}.rise`, '0', 'must be an integer from 1 to 100'],
  ['fall 101', web('healthCheck: { type: tcp, fall: 101 }'), `${HC}.fall`, '101', 'must be an integer from 1 to 100'],
  ['unknown onFailure', web('healthCheck: { type: tcp, onFailure: drop }'), `${HC}.onFailure`, '"drop"', 'must be one of inhibit, remove'],
  ['a check on a udp service', web('healthCheck: { type: tcp }').replace('protocol: tcp', 'protocol: udp'), HC, '{"type":"tcp"}', 'health checks connect over TCP (type tcp or http); a udp virtual server cannot have one'],
  ['quorum 0', web('quorum: 0'), 'virtualServers[0].quorum', '0', 'must be an integer of at least 1'],
  ['quorum 1.5', web('quorum: 1.5'), 'virtualServers[0].quorum', '1.5', 'must be an integer of at least 1'],
  ['quorum above the real servers', web('quorum: 3'), 'virtualServers[0].quorum', '3', 'more than the 2 real servers: a quorum of 3 could never be met'],
  ['sorry server on an unknown node', web('sorryServer: { node: rs9, port: 80 }'), 'virtualServers[0].sorryServer.node', '"rs9"', 'unknown node "rs9"; known nodes: ds, client, rs1, rs2'],
  ['sorry server without a port', web('sorryServer: { node: rs1 }'), 'virtualServers[0].sorryServer.port', '(missing)', 'required: must be an integer from 1 to 65535'],
  ['sorry server port 0', web('sorryServer: { node: rs1, port: 0 }'), 'virtualServers[0].sorryServer.port', '0', 'must be an integer from 1 to 65535'],
  ['sorry server with another port under dr', web('sorryServer: { node: rs1, port: 80 }').replace('forwarding: nat', 'forwarding: dr').replace(/port: 8080/g, 'port: 8410'), 'virtualServers[0].sorryServer.port', '80', "forwarding dr cannot change the port: the sorry server must use the virtual server's port 8410"],
  ['drain timeout that is not a duration', withDrain('{ timeout: forever }'), 'drain.timeout', '"forever"', DURATION('0ms to 1h')],
  ['drain timeout over an hour', withDrain('{ timeout: 61m }'), 'drain.timeout', '"61m"', DURATION('0ms to 1h')],
  ['typo in drain', withDrain('{ timeuot: 5s }'), 'drain.timeuot', '"5s"', 'unknown key (did you mean "timeout"?); expected one of: timeout'],
];

for (const [title, text, path, value, reason] of cases) {
  test(`refuses: ${title}`, (t) => {
    const problems = problemsOf(t, text);
    const found = problems.find((p) => p.path === path && p.reason === reason);
    t.truthy(found, `no problem at ${path} with reason ${JSON.stringify(reason)}; got:\n${JSON.stringify(problems, null, 2)}`);
    t.true(found?.value.startsWith(value), `value ${found?.value}`);
  });
}

test('every problem of the new keys is reported at once', (t) => {
  const problems = problemsOf(t, web('healthCheck: { type: tcp, path: x, rise: 0 }', 'quorum: 9', 'sorryServer: { node: nope, port: 1 }'));
  hasProblem(t, problems, `${HC}.path`, 'must start with "/"');
  hasProblem(t, problems, `${HC}.path`, TCP_ONLY);
  hasProblem(t, problems, `${HC}.rise`, 'from 1 to 100');
  hasProblem(t, problems, 'virtualServers[0].quorum', 'could never be met');
  hasProblem(t, problems, 'virtualServers[0].sorryServer.node', 'unknown node "nope"');
});
