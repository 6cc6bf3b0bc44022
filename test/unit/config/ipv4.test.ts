import test from 'ava';
import { cidrProblem, formatIPv4, ipv4Problem, isIPv4, parseCidr, parseIPv4 } from '../../../daemon/config/ipv4.js';

test('isIPv4 accepts canonical dotted quads', (t) => {
  for (const ip of ['0.0.0.0', '10.10.0.1', '192.168.113.101', '255.255.255.255']) t.true(isIPv4(ip), ip);
});

test('isIPv4 refuses everything else', (t) => {
  const bad = ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '010.1.1.1', '1.2.3.00', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '0x7f.0.0.1', '1..2.3', '１.2.3.4', '1.2.3.4\n', '99999999999999999999.1.1.1'];
  for (const ip of bad) t.false(isIPv4(ip), JSON.stringify(ip));
});

test('ipv4Problem explains why', (t) => {
  t.is(ipv4Problem('192.168.113.300'), 'octet 300 is out of range 0..255');
  t.regex(ipv4Problem('192.168.113.010') ?? '', /leading zero/);
  t.regex(ipv4Problem('1.2.3.4/24') ?? '', /without a prefix length/);
  t.is(ipv4Problem('10.10.0.1'), undefined);
});

test('parseIPv4 and formatIPv4 round-trip', (t) => {
  t.is(parseIPv4('192.168.113.101'), 0xc0a87165);
  t.is(parseIPv4('255.255.255.255'), 0xffffffff);
  t.is(parseIPv4('1.2.3.256'), undefined);
  t.is(formatIPv4(0xc0a87165), '192.168.113.101');
  t.is(formatIPv4(0), '0.0.0.0');
});

test('parseCidr splits address and prefix length', (t) => {
  t.deepEqual(parseCidr('192.168.113.101/24'), { ip: '192.168.113.101', prefixLength: 24 });
  t.deepEqual(parseCidr('0.0.0.0/0'), { ip: '0.0.0.0', prefixLength: 0 });
  t.deepEqual(parseCidr('10.0.0.1/32'), { ip: '10.0.0.1', prefixLength: 32 });
  for (const bad of ['192.168.113.300/24', '192.168.113.1/33', '192.168.113.1', '1.2.3.4/', '1.2.3.4/024', '1.2.3.4/2/4', '1.2.3.4/-1', '1.2.3.4/ 8']) {
    t.is(parseCidr(bad), undefined, bad);
    t.not(cidrProblem(bad), undefined, bad);
  }
  t.regex(cidrProblem('192.168.113.1') ?? '', /missing prefix length/);
});
