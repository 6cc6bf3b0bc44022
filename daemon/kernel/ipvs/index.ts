export { parseIpvsSave } from './parse.js';
export { renderIpvsRestore } from './render.js';
export { ipvsAdapter, type IpvsAdapter } from './adapter.js';
export { parseIpvsList, type RealServerConnections } from './parse-list.js';
export { IPVS_ESTIMATOR_MS, parseIpvsStats, type IpvsCounters, type IpvsRealStats, type IpvsServiceStats } from './parse-stats.js';
export { parseIpvsTimeouts, renderIpvsTimeoutsSet } from './timeouts.js';
export { ipvsFingerprint, type IpvsTableMemo } from './table-memo.js';
