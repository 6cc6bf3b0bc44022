/**
 * A Trace → text like the reference listing: step number, table, counter deltas, the rule indented by
 * its depth, and under it the explanation (#) and notes (!). Pure.
 */
import { formatHostPort } from '../kernel/ipvs/address.js';
import type { OtherMove, Trace, TraceStep } from './types.js';

const counts = (s: { packets?: number; bytes?: number }): string =>
  s.packets === undefined ? '' : `+${s.packets} pkt/+${s.bytes ?? 0} B`;

function headline(trace: Trace): string {
  const { request: r } = trace;
  const to = `${r.to.protocol} ${formatHostPort(r.to.address, r.to.port)}`;
  const port = r.sourcePort === undefined ? '' : ` from port ${r.sourcePort}`;
  const outcome = r.ok ? `ok${r.answer === undefined ? '' : `, answer "${r.answer.trim()}"`}` : `failed${r.error === undefined ? '' : `: ${r.error}`}`;
  return `trace ${r.from} (${r.origin}) → ${to}${port}: ${outcome}`;
}

function stepText(step: TraceStep): string {
  if (step.kind === 'rule') return `-A ${step.chain ?? '?'} ${step.rule ?? ''}`;
  return step.explanation;
}

function stepLines(step: TraceStep, width: number): string[] {
  const label = step.kind === 'rule' ? (step.table ?? '') : step.kind;
  const head = `${String(step.n).padStart(4)}. ${label.padEnd(9)} ${counts(step).padEnd(width)} `;
  const indent = '  '.repeat(step.depth);
  const under = `${' '.repeat(head.length)}${indent}  `;
  const explanation = step.kind === 'rule' ? [`${under}# ${step.explanation}`] : [];
  return [`${head}${indent}${stepText(step)}`, ...explanation, ...step.notes.map((n) => `${under}! ${n}`)];
}

function otherLines(move: OtherMove, width: number): string[] {
  const head = `      ${move.table.padEnd(9)} ${counts(move).padEnd(width)} `;
  return [`${head}-A ${move.chain} ${move.rule}`, `${' '.repeat(head.length)}  ! ${move.reason}`];
}

export function renderTrace(trace: Trace): string {
  const width = Math.max(0, ...[...trace.steps, ...trace.otherMoves].map((s) => counts(s).length));
  const rules = trace.steps.filter((s) => s.kind === 'rule').length;
  const lines = [
    headline(trace),
    ...trace.steps.flatMap((s) => stepLines(s, width)),
    `  (${rules} rule steps on the path)`,
  ];
  if (trace.otherMoves.length > 0) {
    lines.push('moved for other reasons:', ...trace.otherMoves.flatMap((m) => otherLines(m, width)));
  }
  if (trace.noise.summary.length > 0) lines.push('noise:', ...trace.noise.summary.map((s) => `  - ${s}`));
  return `${lines.join('\n')}\n`;
}
