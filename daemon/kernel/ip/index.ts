export { parseLinks, parseAddresses, parseRoutes, parseLinkKind, normalizeDst } from './parse.js';
export { renderIpBatch } from './render.js';
export { ipAdapter, type IpAdapter, type IpObserved } from './adapter.js';
