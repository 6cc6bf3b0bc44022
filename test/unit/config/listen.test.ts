import test from 'ava';
import { listenProblem, parseListen, reachAt, reachableFromOthers } from '../../../daemon/config/listen.js';

test('parseListen: IPv4, localhost, bracketed IPv6, off', (t) => {
  t.deepEqual(parseListen('0.0.0.0:9410'), { host: '0.0.0.0', port: 9410 });
  t.deepEqual(parseListen('localhost:1'), { host: 'localhost', port: 1 });
  t.deepEqual(parseListen('[::1]:9410'), { host: '::1', port: 9410 });
  t.is(parseListen('off'), 'off');
});

test('listenProblem names what is wrong, and hostile text is refused', (t) => {
  t.is(listenProblem('9410'), "must be HOST:PORT (like 0.0.0.0:9410) or 'off'");
  t.is(listenProblem('1.2.3.4:99999'), 'port 99999 is out of range 1..65535');
  t.regex(listenProblem('1.2.3.400:80')!, /^host "1\.2\.3\.400" octet 400/);
  t.truthy(listenProblem('$(reboot):80'));
  t.truthy(listenProblem('1.2.3.4:80\n'));
  t.truthy(listenProblem(':80'));
  t.is(parseListen('a b:80'), undefined);
});

test('reachableFromOthers: loopback and off are not', (t) => {
  t.true(reachableFromOthers({ host: '0.0.0.0', port: 1 }));
  t.true(reachableFromOthers({ host: '192.168.113.101', port: 1 }));
  t.false(reachableFromOthers({ host: '127.0.0.1', port: 1 }));
  t.false(reachableFromOthers({ host: 'localhost', port: 1 }));
  t.false(reachableFromOthers('off'));
});

test('reachAt: a wildcard is loopback on the node and the node address elsewhere; loopback-only is unreachable elsewhere', (t) => {
  t.is(reachAt({ host: '0.0.0.0' }, '192.168.113.101', 'the node'), '127.0.0.1');
  t.is(reachAt({ host: '0.0.0.0' }, '192.168.113.101', 'another machine'), '192.168.113.101');
  t.is(reachAt({ host: '192.168.113.101' }, '192.168.113.101', 'another machine'), '192.168.113.101');
  t.is(reachAt({ host: '::1' }, '192.168.113.101', 'the node'), '::1');
  t.is(reachAt({ host: '127.0.0.1' }, '192.168.113.101', 'another machine'), undefined);
});
