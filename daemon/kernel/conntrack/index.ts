export { parseConntrack, parseConntrackLine, type ConntrackFlow, type Tuple } from './parse.js';
export { renderConntrackFilter, type ConntrackFilter } from './render.js';
export { conntrackAdapter, type ConntrackAdapter } from './adapter.js';
