import test from 'ava';
import { decode, type Answer } from 'dns-packet';
import { ANSWER_TTL_SECONDS, answerQuery, EDNS_UDP_PAYLOAD_BYTES, MAX_UDP_REPLY_BYTES, respond } from '../../../daemon/dns/answer.js';
import { buildZone } from '../../../daemon/dns/zone.js';
import { decoded, DOMAIN, query, rawMessage, rawQuestion, rcodeOf, sampleZone } from './helpers.js';

const zone = sampleZone();
const RD = 1 << 8;
const CD = 1 << 4;

const soaOf = (records: readonly Answer[] | undefined) => {
  const soa = records?.[0];
  return soa?.type === 'SOA' ? soa : undefined;
};

test('A for a service name: one A record, TTL 5, id copied, QR and AA set, RD copied, RA clear', (t) => {
  const reply = decoded(answerQuery(query('web.default.svc.cluster.local', 'A', { id: 0xbeef }), zone));
  t.is(reply.id, 0xbeef);
  t.is(reply.type, 'response');
  t.true(reply.flag_qr);
  t.true(reply.flag_aa);
  t.true(reply.flag_rd);
  t.false(reply.flag_ra);
  t.false(reply.flag_tc);
  t.is(reply.opcode, 'QUERY');
  t.is(reply.rcode, 'NOERROR');
  t.deepEqual(reply.questions, [{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
  t.deepEqual(reply.answers, [{ name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, class: 'IN', flush: false, data: '10.96.0.10' }]);
  t.deepEqual(reply.authorities, []);
  t.deepEqual(reply.additionals, []);
  t.is(ANSWER_TTL_SECONDS, 5);
});

test('names match whatever their case and with a trailing dot; question and owner keep the case asked (0x20)', (t) => {
  for (const name of ['WEB.Default.SVC.Cluster.Local', 'web.default.svc.cluster.local.', 'wEb.DeFaUlT.sVc.ClUsTeR.lOcAl.']) {
    const reply = decoded(answerQuery(query(name), zone));
    t.is(reply.rcode, 'NOERROR', name);
    const asked = name.replace(/\.$/, '');
    t.is(reply.questions?.[0]?.name, asked);
    t.deepEqual(reply.answers?.map((a) => [a.name, a.type === 'A' ? a.data : undefined]), [[asked, '10.96.0.10']]);
  }
});

test('ANY gets the A record; RD clear stays clear; CD is copied', (t) => {
  const anyType = rawMessage({ id: 1, flags: 0, qd: 1 }, rawQuestion(['api', 'shop', 'svc', 'cluster', 'local'], 255));
  const any = decoded(answerQuery(anyType, zone));
  t.false(any.flag_rd);
  t.deepEqual(any.answers?.map((a) => (a.type === 'A' ? a.data : a.type)), ['10.96.7.1']);
  const cd = decoded(answerQuery(query('api.shop.svc.cluster.local', 'A', { flags: RD | CD }), zone));
  t.true(cd.flag_cd);
  t.true(cd.flag_rd);
});

test('an unknown name inside the domain: NXDOMAIN, authoritative, the zone SOA in authority', (t) => {
  for (const name of ['nope.default.svc.cluster.local', 'web.nosuchns.svc.cluster.local', 'a.web.default.svc.cluster.local', 'pod.cluster.local', 'x.svc.cluster.local']) {
    const reply = decoded(answerQuery(query(name), zone));
    t.is(reply.rcode, 'NXDOMAIN', name);
    t.true(reply.flag_aa, name);
    t.deepEqual(reply.answers, []);
    const soa = soaOf(reply.authorities);
    t.is(soa?.name, DOMAIN);
    t.is(soa?.ttl, ANSWER_TTL_SECONDS);
    t.like(soa?.data, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: ANSWER_TTL_SECONDS });
  }
});

test('a service name asked for another type (AAAA, MX, TXT, SRV): NODATA, NOERROR with no answer and the SOA', (t) => {
  for (const type of ['AAAA', 'MX', 'TXT', 'SRV', 'CNAME'] as const) {
    const reply = decoded(answerQuery(query('web.default.svc.cluster.local', type), zone));
    t.is(reply.rcode, 'NOERROR', type);
    t.true(reply.flag_aa);
    t.deepEqual(reply.answers, [], type);
    t.is(soaOf(reply.authorities)?.name, DOMAIN);
  }
});

test('names above the services (namespace, svc, the domain) exist: NODATA, never NXDOMAIN (RFC 8020)', (t) => {
  for (const name of ['default.svc.cluster.local', 'shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']) {
    const reply = decoded(answerQuery(query(name), zone));
    t.is(reply.rcode, 'NOERROR', name);
    t.true(reply.flag_aa, name);
    t.deepEqual(reply.answers, [], name);
  }
});

test('SOA at the domain is answered', (t) => {
  const reply = decoded(answerQuery(query('Cluster.Local.', 'SOA'), zone));
  t.is(reply.rcode, 'NOERROR');
  t.is(reply.answers?.length, 1);
  t.is(soaOf(reply.answers)?.name, DOMAIN);
  t.deepEqual(reply.authorities, []);
});

test('a name outside the domain: REFUSED, not authoritative, question echoed, no records', (t) => {
  for (const name of ['example.com', 'local', 'xcluster.local', 'web.default.svc.cluster.local.evil', 'web.default.svc.cluster', '.']) {
    const reply = decoded(answerQuery(query(name), zone));
    t.is(reply.rcode, 'REFUSED', name);
    t.false(reply.flag_aa, name);
    t.false(reply.flag_ra, name);
    t.is(reply.questions?.length, 1, name);
    t.deepEqual([reply.answers, reply.authorities], [[], []], name);
  }
});

test('zone transfers and classes other than IN are refused', (t) => {
  for (const type of ['AXFR', 'IXFR'] as const) t.is(decoded(answerQuery(query('cluster.local', type), zone)).rcode, 'REFUSED', type);
  const chaos = rawMessage({ id: 7, flags: RD, qd: 1 }, rawQuestion(['web', 'default', 'svc', 'cluster', 'local'], 1, 3));
  t.is(decoded(answerQuery(chaos, zone)).rcode, 'REFUSED');
  const anyClass = rawMessage({ id: 7, flags: RD, qd: 1 }, rawQuestion(['web', 'default', 'svc', 'cluster', 'local'], 1, 255));
  t.is(decoded(answerQuery(anyClass, zone)).answers?.length, 1);
});

test('an opcode other than QUERY: NOTIMP, header only, id and opcode copied', (t) => {
  for (const [opcode, name] of [[1, 'IQUERY'], [2, 'STATUS'], [4, 'NOTIFY'], [5, 'UPDATE'], [15, 'OPCODE_15']] as const) {
    const message = Buffer.from(query('web.default.svc.cluster.local', 'A', { id: 0x1234 }));
    message.writeUInt16BE((opcode << 11) | RD, 2);
    const reply = decoded(answerQuery(message, zone));
    t.is(reply.rcode, 'NOTIMP', name);
    t.is(reply.opcode, name);
    t.is(reply.id, 0x1234);
    t.true(reply.flag_qr);
    t.false(reply.flag_aa);
    t.is(reply.questions?.length, 0);
  }
});

test('zero or several questions: FORMERR with the id, whatever follows the header', (t) => {
  const q = rawQuestion(['web', 'default', 'svc', 'cluster', 'local']);
  for (const message of [
    rawMessage({ id: 0x0a0b, flags: RD, qd: 0 }),
    rawMessage({ id: 0x0a0b, flags: RD, qd: 0 }, q),
    rawMessage({ id: 0x0a0b, flags: RD, qd: 2 }, Buffer.concat([q, q])),
    rawMessage({ id: 0x0a0b, flags: RD, qd: 65535 }),
  ]) {
    const reply = answerQuery(message, zone);
    t.is(decoded(reply).id, 0x0a0b);
    t.is(rcodeOf(reply ?? Buffer.alloc(12)), 1);
    t.true(decoded(reply).flag_qr);
  }
});

test('a question whose name uses a compression pointer is FORMERR (there is nothing before it to point at)', (t) => {
  const pointer = rawMessage({ id: 9, flags: RD, qd: 1 }, Buffer.from([0xc0, 0x00, 0, 1, 0, 1]));
  t.is(decoded(answerQuery(pointer, zone)).rcode, 'FORMERR');
});

test('responses (QR set) and bytes that are no DNS message are dropped', (t) => {
  const response = Buffer.from(query('web.default.svc.cluster.local'));
  response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
  t.is(answerQuery(response, zone), undefined);
  t.is(answerQuery(Buffer.alloc(0), zone), undefined);
  t.is(answerQuery(Buffer.alloc(11), zone), undefined);
  const valid = query('web.default.svc.cluster.local');
  t.is(answerQuery(valid.subarray(0, valid.length - 1), zone), undefined, 'type/class cut off');
  t.is(answerQuery(rawMessage({ id: 1, flags: 0, qd: 1 }, Buffer.from([40, 0x61])), zone), undefined, 'label runs past the end');
  t.is(answerQuery(rawMessage({ id: 1, flags: 0, qd: 1, an: 3 }, rawQuestion(['web'])), zone), undefined, 'announced answers missing');
  t.like(respond(rawMessage({ id: 1, flags: 0, qd: 1, an: 65535, ns: 65535, ar: 65535 }, rawQuestion(['web'])), zone), {
    kind: 'drop', reason: 'undecodable: 196605 records announced in 21 bytes',
  }, 'counts that cannot fit are refused before decoding');
  t.like(respond(response, zone), { kind: 'drop', reason: 'a response, not a query' });
});

test('EDNS: an OPT in the query gets one back (version 0, payload 1232); version 1 gets BADVERS; two OPTs FORMERR', (t) => {
  const reply = decoded(answerQuery(query('web.default.svc.cluster.local', 'A', { edns: true }), zone));
  t.is(reply.answers?.length, 1);
  const opt = reply.additionals?.[0];
  t.is(reply.additionals?.length, 1);
  t.like(opt, { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES, ednsVersion: 0, extendedRcode: 0 });

  const v1 = Buffer.from(query('web.default.svc.cluster.local', 'A', { edns: true }));
  v1.writeUInt8(1, v1.length - 5); // OPT: ... extended rcode, version, flags (2), rdlength (2)
  const badvers = decoded(answerQuery(v1, zone));
  t.is(badvers.rcode, 'NOERROR', 'the low 4 bits of 16 in the header');
  t.like(badvers.additionals?.[0], { type: 'OPT', extendedRcode: 1 });
  t.deepEqual(badvers.answers, []);

  const single = query('web.default.svc.cluster.local', 'A', { edns: true });
  const optBytes = single.subarray(single.length - 11);
  const twice = Buffer.concat([single, optBytes]);
  twice.writeUInt16BE(2, 10);
  t.is(decoded(answerQuery(twice, zone)).rcode, 'FORMERR');
});

test('a label holding a dot is not mistaken for two labels', (t) => {
  const message = rawMessage({ id: 3, flags: RD, qd: 1 }, rawQuestion(['web.default', 'svc', 'cluster', 'local']));
  const reply = decoded(answerQuery(message, zone));
  t.is(reply.rcode, 'NXDOMAIN');
  t.deepEqual(reply.answers, []);
});

test('only ASCII letters fold: the Kelvin sign is not a K', (t) => {
  const kelvin = Buffer.from('\u212Aube', 'utf8');
  const message = rawMessage({ id: 3, flags: RD, qd: 1 }, rawQuestion([kelvin, 'default', 'svc', 'cluster', 'local']));
  t.is(decoded(answerQuery(message, zone)).rcode, 'NXDOMAIN');
  t.is(decoded(answerQuery(query('KUBE.default.svc.cluster.local'), zone)).answers?.length, 1);
});

test('the question is echoed byte for byte, odd bytes included', (t) => {
  const odd = rawQuestion([Buffer.from([0xff, 0x00, 0x2e, 0x41]), 'svc', 'cluster', 'local'], 28);
  const reply = answerQuery(rawMessage({ id: 5, flags: RD, qd: 1 }, odd), zone);
  t.deepEqual(reply?.subarray(12, 12 + odd.length), odd);
  t.is(decoded(reply).rcode, 'NXDOMAIN');
});

test('replies stay within 512 bytes for the longest names', (t) => {
  const label63 = (c: string): string => c.repeat(63);
  const longZone = buildZone(DOMAIN, [{ name: label63('a'), namespace: label63('b'), clusterIP: '10.0.0.1' }]);
  const longest = `${label63('a')}.${label63('b')}.svc.cluster.local`;
  const positive = answerQuery(query(longest, 'A', { edns: true }), longZone);
  t.is(decoded(positive).answers?.length, 1);
  t.true((positive?.length ?? Infinity) <= MAX_UDP_REPLY_BYTES);
  // A 253-character name inside the domain: NXDOMAIN.
  const deep = `${label63('c')}.${label63('d')}.${label63('e')}.${'f'.repeat(47)}.cluster.local`;
  t.is(deep.length, 253);
  const negative = answerQuery(query(deep, 'A', { edns: true }), longZone);
  t.is(decoded(negative).rcode, 'NXDOMAIN');
  t.true((negative?.length ?? Infinity) <= MAX_UDP_REPLY_BYTES);
});

test('respond says what was asked and the rcode, for the log', (t) => {
  t.like(respond(query('Web.default.svc.cluster.local', 'AAAA'), zone), { kind: 'reply', name: 'Web.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR' });
  t.like(respond(query('nope.svc.cluster.local'), zone), { kind: 'reply', rcode: 'NXDOMAIN' });
  t.like(respond(Buffer.alloc(3), zone), { kind: 'drop' });
});

test('a failure while answering gives SERVFAIL, not a throw', (t) => {
  class FailingMap extends Map<string, string> {
    override get(): string | undefined {
      throw new Error('records unreadable');
    }
  }
  const broken = { domain: DOMAIN, records: new FailingMap() };
  const outcome = respond(query('web.default.svc.cluster.local', 'A', { id: 77 }), broken);
  t.is(outcome.kind, 'reply');
  if (outcome.kind !== 'reply') return;
  t.is(outcome.rcode, 'SERVFAIL');
  t.is(outcome.problem, 'records unreadable');
  t.like(decode(outcome.packet), { id: 77, rcode: 'SERVFAIL' });
});
