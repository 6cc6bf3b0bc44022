import test from 'ava';
import { curlArgv, parseCurl } from '../../../daemon/verify/curl.js';
import { curlOut } from './helpers.js';

test('curlArgv: one argv array, the -w line after the body, no keep-alive', (t) => {
  t.deepEqual(curlArgv('10.10.0.1', 8410, 3), [
    'curl', '-sS', '--max-time', '3', '-o', '-', '-w', '\n%{local_port} %{http_code} %header{x-lvslab-peer}', '-H', 'Connection: close', 'http://10.10.0.1:8410/',
  ]);
});

test('parseCurl: success reads the node name, the client port and the HTTP code', (t) => {
  t.deepEqual(parseCurl(curlOut('rs2', 55122), 0), { ok: true, curlExit: 0, localPort: 55122, httpCode: 200, realServer: 'rs2' });
});

test('parseCurl: the backend\'s X-Lvslab-Peer after the HTTP code is the address the real server saw; without it, none', (t) => {
  t.deepEqual(parseCurl('rs1\n\n40000 200 192.168.113.102', 0), { ok: true, curlExit: 0, localPort: 40000, httpCode: 200, peer: '192.168.113.102', realServer: 'rs1' });
  t.is(parseCurl('rs1\n\n40000 200 ', 0).peer, undefined);
});

test('parseCurl: a body of several lines keeps its first line as the node name', (t) => {
  t.is(parseCurl('rs1\nsome more\n\n40000 200', 0).realServer, 'rs1');
});

test('parseCurl: timeout (exit 28) is a failed probe with its exit code and stderr', (t) => {
  const probe = parseCurl('\n0 000', 28, 'curl: (28) Connection timed out after 3002 milliseconds\n');
  t.false(probe.ok);
  t.is(probe.curlExit, 28);
  t.is(probe.localPort, undefined);
  t.is(probe.realServer, undefined);
  t.regex(probe.error ?? '', /curl exit 28 \(timed out\): curl: \(28\) Connection timed out after 3002/);
});

test('parseCurl: a timeout after connecting still gives the client port (to find its flows)', (t) => {
  t.is(parseCurl('\n51000 000', 28, 'curl: (28) Operation timed out').localPort, 51000);
});

test('parseCurl: refused (exit 7)', (t) => {
  const probe = parseCurl('\n0 000', 7, 'curl: (7) Failed to connect to 10.10.0.1 port 8410: Connection refused');
  t.false(probe.ok);
  t.regex(probe.error ?? '', /^curl exit 7 \(connection refused or unreachable\): .*Connection refused/);
});

test('parseCurl: an HTTP error or an empty body is a failed probe', (t) => {
  t.like(parseCurl('oops\n\n41000 503', 0), { ok: false, httpCode: 503, error: 'HTTP 503' });
  t.like(parseCurl('\n41000 200', 0), { ok: false, httpCode: 200 });
  t.like(parseCurl('garbage', 0), { ok: false });
});
