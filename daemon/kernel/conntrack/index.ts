export { parseConntrack, parseConntrackLine, type ConntrackFlow, type Tuple } from './parse.js';
export { flowMatches, renderConntrackFilter, staleUdpFlows, type ConntrackFilter } from './render.js';
export { conntrackAdapter, type ConntrackAdapter } from './adapter.js';
