export { parseIptablesSave, ownedFromTables, jumpTarget, type ParsedTable, type ParsedChain, type Counter } from './parse.js';
export { renderIptablesRestore, tableOf } from './render.js';
export { iptablesAdapter, observeCounters, type IptablesAdapter } from './adapter.js';
