export { parseIpsetSave, sameIpSetDefinition, sameIpSetEntries } from './parse.js';
export { renderIpsetRestore, tempSetName, type IpsetPhase } from './render.js';
export { ipsetAdapter, type IpsetAdapter } from './adapter.js';
