export { parseSysctlOutput } from './parse.js';
export { renderSysctlWrite } from './render.js';
export { sysctlAdapter, type SysctlAdapter } from './adapter.js';
