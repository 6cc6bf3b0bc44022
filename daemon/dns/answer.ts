/**
 * The authoritative answer to one DNS query for the service zone, as CoreDNS's kubernetes plugin
 * gives it: A for a service name (TTL 5), NODATA for another type, NXDOMAIN for a name not in the
 * zone (both with the zone's SOA), REFUSED outside the domain, NOTIMP for an opcode other than QUERY,
 * FORMERR for a question count other than one. EDNS (RFC 6891) is echoed. Pure, and never throws:
 * what cannot be read is dropped (no reply), a failure while answering gives SERVFAIL.
 */
import { decode, encode, type Answer, type DecodedPacket, type OptAnswer } from 'dns-packet';
import { lookup, type ServiceZone } from './zone.js';
import { errorText } from '../kernel/tool-error.js';
import {
  countsFit, FLAG, HEADER_BYTES, OPCODE_MASK, OPCODE_QUERY, QCLASS, QTYPE, RCODE, RCODE_NAMES, readHeader, readQuestion,
  type Header, type Question,
} from './wire.js';

/** TTL of every record served, and the negative-caching TTL (SOA minimum), as CoreDNS's default. */
export const ANSWER_TTL_SECONDS = 5;
/** The largest reply a UDP client without EDNS accepts (RFC 1035 §4.2.1). */
export const MAX_UDP_REPLY_BYTES = 512;
/** The UDP payload size announced in EDNS replies (the DNS flag day 2020 value). */
export const EDNS_UDP_PAYLOAD_BYTES = 1232;

/** SOA timers as CoreDNS's kubernetes plugin sets them. */
const SOA_TIMERS = { serial: 1, refresh: 7200, retry: 1800, expire: 86_400, minimum: ANSWER_TTL_SECONDS } as const;

export type DnsOutcome =
  | {
    readonly kind: 'reply';
    readonly packet: Buffer;
    /** NOERROR, NXDOMAIN, REFUSED, ... */
    readonly rcode: string;
    /** The question's name and type, when the query got that far. */
    readonly name?: string;
    readonly type?: string;
    /** Why the reply is SERVFAIL (a failure while answering). */
    readonly problem?: string;
  }
  | { readonly kind: 'drop'; readonly reason: string };

/** What the query's EDNS OPT record asks of the reply. */
type Edns =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'bad-version' }
  | { readonly kind: 'several' };

/** The sections of a reply after the echoed question. */
interface Sections {
  readonly rcode: number;
  readonly authoritative: boolean;
  readonly answers?: readonly Answer[];
  readonly authorities?: readonly Answer[];
}


const drop = (reason: string): DnsOutcome => ({ kind: 'drop', reason });

/** The reply's flags: QR, the query's opcode, RD and CD copied, AA when authoritative, RA clear. */
const replyFlags = (header: Header, rcode: number, authoritative: boolean): number =>
  FLAG.QR | (header.flags & (OPCODE_MASK | FLAG.RD | FLAG.CD)) | (authoritative ? FLAG.AA : 0) | (rcode & 0xf);

const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? `RCODE_${rcode}`;

/** A reply of the header alone (no question echoed), for queries whose question is not used. */
function headerOnly(header: Header, rcode: number, problem?: string): DnsOutcome {
  const packet = encode({ type: 'response', id: header.id, flags: replyFlags(header, rcode, false) });
  return { kind: 'reply', packet, rcode: rcodeName(rcode), ...(problem === undefined ? {} : { problem }) };
}

function ednsOf(decoded: DecodedPacket): Edns {
  const options = (decoded.additionals ?? []).filter((record): record is OptAnswer => record.type === 'OPT');
  if (options.length === 0) return { kind: 'none' };
  if (options.length > 1) return { kind: 'several' };
  return options[0]?.ednsVersion === 0 ? { kind: 'ok' } : { kind: 'bad-version' };
}

const optRecord = (extendedRcode: number): OptAnswer => ({
  type: 'OPT',
  name: '.',
  udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES,
  extendedRcode,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
});

const soaRecord = (zone: ServiceZone): Answer => ({
  type: 'SOA',
  name: zone.domain,
  ttl: ANSWER_TTL_SECONDS,
  class: 'IN',
  data: { mname: `ns.dns.${zone.domain}`, rname: `hostmaster.${zone.domain}`, ...SOA_TIMERS },
});

/**
 * The reply bytes: the header, the question exactly as sent, then the records. dns-packet encodes
 * header and records (it never compresses names, so its bytes stay valid when the question is put
 * between them).
 */
function encodeReply(header: Header, question: Question, edns: Edns, sections: Sections): Buffer {
  const encoded = encode({
    type: 'response',
    id: header.id,
    flags: replyFlags(header, sections.rcode, sections.authoritative),
    answers: [...(sections.answers ?? [])],
    authorities: [...(sections.authorities ?? [])],
    additionals: edns.kind === 'none' ? [] : [optRecord(sections.rcode >> 4)],
  });
  const reply = Buffer.concat([encoded.subarray(0, HEADER_BYTES), question.bytes, encoded.subarray(HEADER_BYTES)]);
  reply.writeUInt16BE(1, 4); // QDCOUNT
  return reply;
}

/** The sections answering `question`, which is in a query of opcode QUERY with one question. */
function sectionsFor(question: Question, ownerName: string, zone: ServiceZone): Sections {
  if (question.class !== QCLASS.IN && question.class !== QCLASS.ANY) return { rcode: RCODE.REFUSED, authoritative: false };
  const found = lookup(zone, question.labels);
  if (found.kind === 'outside') return { rcode: RCODE.REFUSED, authoritative: false };
  // Zone transfers are not offered (CoreDNS refuses them without its transfer plugin).
  if (question.type === QTYPE.AXFR || question.type === QTYPE.IXFR) return { rcode: RCODE.REFUSED, authoritative: false };
  const negative = (rcode: number): Sections => ({ rcode, authoritative: true, authorities: [soaRecord(zone)] });
  switch (found.kind) {
    case 'absent':
      return negative(RCODE.NXDOMAIN);
    case 'empty':
      if (question.type === QTYPE.SOA && question.labels.join('.') === zone.domain) {
        return { rcode: RCODE.NOERROR, authoritative: true, answers: [soaRecord(zone)] };
      }
      return negative(RCODE.NOERROR);
    case 'record':
      if (question.type === QTYPE.A || question.type === QTYPE.ANY) {
        const record: Answer = { type: 'A', name: ownerName, ttl: ANSWER_TTL_SECONDS, class: 'IN', data: found.ip };
        return { rcode: RCODE.NOERROR, authoritative: true, answers: [record] };
      }
      return negative(RCODE.NOERROR);
  }
}

/** The reply to a decoded query with one question. */
function replyTo(header: Header, question: Question, decoded: DecodedPacket, zone: ServiceZone): DnsOutcome {
  const asked = decoded.questions?.[0];
  const name = asked?.name ?? question.labels.join('.');
  const type = asked?.type ?? String(question.type);
  const edns = ednsOf(decoded);
  if (edns.kind === 'several') return headerOnly(header, RCODE.FORMERR);
  const sections: Sections = edns.kind === 'bad-version'
    ? { rcode: RCODE.BADVERS, authoritative: false }
    : sectionsFor(question, name, zone);
  let packet = encodeReply(header, question, edns, sections);
  // Negative answers carry the SOA only as a courtesy: leave it out rather than pass 512 bytes.
  if (packet.length > MAX_UDP_REPLY_BYTES && sections.authorities !== undefined) {
    packet = encodeReply(header, question, edns, { ...sections, authorities: [] });
  }
  return { kind: 'reply', packet, rcode: rcodeName(sections.rcode), name, type };
}

/** The reply to a query (QR clear) whose header is read. Throws only when answering fails (zone, encoding). */
function replyToQuery(header: Header, query: Buffer, zone: ServiceZone): DnsOutcome {
  if (header.opcode !== OPCODE_QUERY) return headerOnly(header, RCODE.NOTIMP);
  if (header.questionCount !== 1) return headerOnly(header, RCODE.FORMERR);
  if (!countsFit(header, query.length)) return drop(`undecodable: ${header.recordCount} records announced in ${query.length} bytes`);
  let decoded: DecodedPacket;
  try {
    decoded = decode(query);
  } catch (e) {
    return drop(`undecodable: ${errorText(e)}`);
  }
  const question = readQuestion(query);
  if (question === undefined) return headerOnly(header, RCODE.FORMERR);
  return replyTo(header, question, decoded, zone);
}

/** The reply to `query` (with what it asked, for the log), or why it gets none. Never throws. */
export function respond(query: Buffer, zone: ServiceZone): DnsOutcome {
  const header = readHeader(query);
  if (header === undefined) return drop(`${query.length} bytes: shorter than a DNS header`);
  if (header.isResponse) return drop('a response, not a query');
  try {
    return replyToQuery(header, query, zone);
  } catch (e) {
    const problem = errorText(e);
    try {
      return headerOnly(header, RCODE.SERVFAIL, problem);
    } catch (again) {
      return drop(`${problem}; and cannot encode SERVFAIL: ${errorText(again)}`);
    }
  }
}

/** The reply to `query`, or undefined when it gets none (a response, or bytes that are no DNS query). */
export function answerQuery(query: Buffer, zone: ServiceZone): Buffer | undefined {
  const outcome = respond(query, zone);
  return outcome.kind === 'reply' ? outcome.packet : undefined;
}
