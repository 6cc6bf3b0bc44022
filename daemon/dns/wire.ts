/**
 * The parts of a DNS message (RFC 1035 §4.1) the answerer reads straight from the bytes: the header,
 * and the question with its name exactly as sent (the reply echoes those bytes, so a resolver's 0x20
 * case randomisation and any odd byte come back unchanged). Pure.
 */

export const HEADER_BYTES = 12;

/** Header flag bits (the second 16-bit word). */
export const FLAG = {
  QR: 1 << 15,
  AA: 1 << 10,
  TC: 1 << 9,
  RD: 1 << 8,
  RA: 1 << 7,
  CD: 1 << 4,
} as const;

/** The opcode's 4 bits in the flags word. */
export const OPCODE_MASK = 0xf << 11;
export const OPCODE_QUERY = 0;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS) rcode 16: the high 8 bits go in the OPT record, the low 4 in the header. */
  BADVERS: 16,
} as const;

export const RCODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(RCODE).map(([name, code]) => [code, name]));

export const QTYPE = { A: 1, SOA: 6, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const QCLASS = { IN: 1, ANY: 255 } as const;

export interface Header {
  readonly id: number;
  /** The whole flags word as sent. */
  readonly flags: number;
  readonly isResponse: boolean;
  readonly opcode: number;
  readonly questionCount: number;
  /** Answer, authority and additional records announced. */
  readonly recordCount: number;
}

export interface Question {
  /** Labels in wire order, ASCII letters lowercased (nothing else changed), without the root. */
  readonly labels: readonly string[];
  readonly type: number;
  readonly class: number;
  /** The question section exactly as sent: name, type and class. */
  readonly bytes: Buffer;
}

const MAX_NAME_BYTES = 255;
const MAX_LABEL_BYTES = 63;

/** The header, or undefined when the message is shorter than one. */
export function readHeader(message: Buffer): Header | undefined {
  if (message.length < HEADER_BYTES) return undefined;
  const flags = message.readUInt16BE(2);
  return {
    id: message.readUInt16BE(0),
    flags,
    isResponse: (flags & FLAG.QR) !== 0,
    opcode: (flags & OPCODE_MASK) >> 11,
    questionCount: message.readUInt16BE(4),
    recordCount: message.readUInt16BE(6) + message.readUInt16BE(8) + message.readUInt16BE(10),
  };
}

/** The fewest bytes a question (root name, type, class) and a record (root name, type, class, TTL, length) take. */
const MIN_QUESTION_BYTES = 5;
const MIN_RECORD_BYTES = 11;

/**
 * Whether the sections the header announces can fit in `length` bytes. A decoder sizes its arrays
 * from these counts before reading a byte (up to 4 × 65535 slots for a 12-byte message, several ms
 * of CPU each), so a message that cannot hold them is turned away first.
 */
export const countsFit = (header: Header, length: number): boolean =>
  HEADER_BYTES + header.questionCount * MIN_QUESTION_BYTES + header.recordCount * MIN_RECORD_BYTES <= length;

/** DNS compares names ignoring the case of ASCII letters only (RFC 4343). */
const lowerAscii = (label: string): string => label.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * The first question, or undefined when its name runs past the message, is longer than 255 bytes,
 * uses a compression pointer (nothing precedes it to point at) or an unknown label type, or when
 * type and class are cut off.
 */
export function readQuestion(message: Buffer): Question | undefined {
  const labels: string[] = [];
  let offset = HEADER_BYTES;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > MAX_LABEL_BYTES) return undefined;
    offset += 1;
    if (length === 0) break;
    if (offset + length > message.length) return undefined;
    labels.push(lowerAscii(message.toString('latin1', offset, offset + length)));
    offset += length;
    if (offset - HEADER_BYTES + 1 > MAX_NAME_BYTES) return undefined; // + 1: the root's zero byte
  }
  if (offset + 4 > message.length) return undefined;
  return {
    labels,
    type: message.readUInt16BE(offset),
    class: message.readUInt16BE(offset + 2),
    bytes: message.subarray(HEADER_BYTES, offset + 4),
  };
}
