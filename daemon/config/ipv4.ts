/**
 * Strict IPv4 helpers shared by the lab validator and the modules that turn a lab into kernel state.
 * Only the canonical dotted-quad form is accepted: four decimal octets 0..255 with no leading zeros
 * ("010" is refused: inet_aton would read it as octal 8), no spaces, no "/" unless a CIDR is asked for.
 */

export interface Cidr {
  /** The address part: "192.168.113.101". */
  readonly ip: string;
  readonly prefixLength: number;
}

/** Anything longer is refused without looking closer (keeps reasons short). */
const MAX_LENGTH = 64;
const DIGITS = /^[0-9]+$/;

/** Why `text` is not an IPv4 address, or undefined when it is one. */
export function ipv4Problem(text: string): string | undefined {
  if (text.includes('/')) return 'must be an IPv4 address without a prefix length (like 10.10.0.1)';
  if (text.length > MAX_LENGTH) return 'is far too long for an IPv4 address (like 10.10.0.1)';
  const parts = text.split('.');
  if (parts.length !== 4) return 'must be an IPv4 address of four dot-separated octets (like 10.10.0.1)';
  for (const part of parts) {
    if (!DIGITS.test(part)) return `octet ${JSON.stringify(part)} is not a decimal number`;
    if (part.length > 1 && part.startsWith('0')) return `octet "${part}" has a leading zero (octal or decimal? write it without)`;
    if (Number(part) > 255) return `octet ${part} is out of range 0..255`;
  }
  return undefined;
}

export function isIPv4(text: string): boolean {
  return ipv4Problem(text) === undefined;
}

/** The address as an unsigned 32-bit number, or undefined when `text` is not an IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** The dotted quad of an unsigned 32-bit number. */
export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Why `text` is not an "a.b.c.d/len" CIDR, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return 'missing prefix length: must be an IPv4 address with a prefix length (like 192.168.113.101/24)';
  if (text.length > MAX_LENGTH) return 'is far too long for an IPv4 CIDR (like 192.168.113.101/24)';
  const ip = text.slice(0, slash);
  const len = text.slice(slash + 1);
  const ipReason = ipv4Problem(ip);
  if (ipReason !== undefined) return ipReason;
  if (!DIGITS.test(len) || (len.length > 1 && len.startsWith('0'))) {
    return `prefix length ${JSON.stringify(len)} must be a decimal number from 0 to 32`;
  }
  if (Number(len) > 32) return `prefix length ${len} is out of range 0..32`;
  return undefined;
}

/** "192.168.113.101/24" → { ip: "192.168.113.101", prefixLength: 24 }, or undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  if (cidrProblem(text) !== undefined) return undefined;
  const slash = text.indexOf('/');
  return { ip: text.slice(0, slash), prefixLength: Number(text.slice(slash + 1)) };
}

/**
 * An address or CIDR as ipset prints it in a hash:net set: host bits cleared and "/32" dropped
 * ("10.1.2.3/8" → "10.0.0.0/8", "10.0.0.1/32" → "10.0.0.1"); an address stays as it is. Undefined
 * when `text` is neither.
 */
export function canonicalNet(text: string): string | undefined {
  const cidr = text.includes('/') ? parseCidr(text) : isIPv4(text) ? { ip: text, prefixLength: 32 } : undefined;
  if (cidr === undefined) return undefined;
  if (cidr.prefixLength === 32) return cidr.ip;
  const size = 2 ** (32 - cidr.prefixLength);
  const network = Math.floor((parseIPv4(cidr.ip) ?? 0) / size) * size;
  return `${formatIPv4(network)}/${cidr.prefixLength}`;
}
