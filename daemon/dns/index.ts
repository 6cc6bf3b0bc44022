/** The service-name DNS answerer of the director: the zone, the answer to one query, the UDP/TCP server. */
export { buildZone, lookup, type Lookup, type ServiceRecord, type ServiceZone } from './zone.js';
export { ANSWER_TTL_SECONDS, answerQuery, respond, type DnsOutcome } from './answer.js';
export { startDnsServer, TCP_IDLE_TIMEOUT_MS, TCP_MAX_UNSENT_BYTES, type DnsLog, type DnsServerOptions, type RunningDns } from './server.js';
