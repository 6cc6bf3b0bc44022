export { parseLinks, parseAddresses, parseRoutes, parseLinkKind, parseDevices, parseRxPackets, normalizeDst, type Device } from './parse.js';
export { renderIpBatch } from './render.js';
export { ipAdapter, type IpAdapter, type IpObserved } from './adapter.js';
