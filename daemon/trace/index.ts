export { buildTrace } from './trace.js';
export { renderTrace } from './render.js';
export { movedRules, type MovedRule } from './counters.js';
export { walkMoved, type Walk, type WalkItem, type WalkedRule, type Unreached } from './walk.js';
export { hookOrder, type HookEntry, type HookChain, type HookIpvs } from './hooks.js';
export { explainRule, ruleWords, type ExplainContext } from './explain.js';
export { lookUpSet, type PacketFields, type SetLookup } from './set-match.js';
export { ipvsStep } from './ipvs-step.js';
export type { Destination, Origin, OtherMove, RequestOutcome, StepKind, Trace, TraceInput, TraceNoise, TraceStep } from './types.js';
