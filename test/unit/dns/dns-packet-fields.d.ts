/** What @types/dns-packet 5.6 leaves out of a decoded packet: the header's opcode and rcode, which dns-packet 5.6 sets. */
import 'dns-packet';

declare module 'dns-packet' {
  interface DecodedPacket {
    /** 'QUERY', 'NOTIFY', 'OPCODE_15', ... */
    opcode: string;
    /** 'NOERROR', 'NXDOMAIN', 'RCODE_11', ... */
    rcode: string;
  }
}
