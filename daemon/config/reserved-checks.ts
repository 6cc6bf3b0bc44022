/**
 * Cross-field checks that keep a lab off what is not its own (reserved.ts): a prefix another program
 * owns, kube-proxy's names and link outside kube mode, a blocklist named like a set or chain lvslab
 * generates, and a masquerade mark that is kubelet's drop mark. Like checks.ts they read the raw YAML
 * data and skip fields that are themselves invalid (the schema reported those).
 */
import type { ConfigProblem } from './types.js';
import { field, list, own, problem } from './problems.js';
import { blocklistSchema, labSchema } from './schema.js';
import { serviceModeShape } from './service-schema.js';
import { GENERATED_NAMES, KUBE_INTERFACE, KUBELET_DROP_MARK, foreignOwner } from './reserved.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

export function checkReserved(data: unknown, out: ConfigProblem[]): void {
  const shape = labSchema.shape;
  const kubeMode = list(own(data, 'services')).length > 0;
  const prefix = field(shape.prefix, data, 'prefix');
  const foreign = prefix === undefined ? undefined : foreignOwner(prefix);
  if (foreign !== undefined && !(kubeMode && foreign.stem === 'KUBE-')) {
    const kube = foreign.stem === 'KUBE-' ? '; lvslab takes KUBE- only in kube mode (a lab with services), where it plays kube-proxy' : '';
    const reason =
      `prefix ${foreign.stem} belongs to ${foreign.owner}: lvslab owns (and deletes) every set and chain whose name ` +
      `starts with its prefix, so it would take theirs${kube}; choose another, like LVSLAB-`;
    out.push(problem(['prefix'], prefix, reason));
  }
  if (!kubeMode && own(data, 'interface') === KUBE_INTERFACE) {
    const reason = `${KUBE_INTERFACE} is kube-proxy's link; lvslab takes it only in kube mode (a lab with services), like prefix KUBE-; use lvslab0`;
    out.push(problem(['interface'], KUBE_INTERFACE, reason));
  }
  const mark = field(shape.masqueradeMark, data, 'masqueradeMark');
  if (mark !== undefined && (mark & KUBELET_DROP_MARK) !== 0 && field(serviceModeShape.kubeletRules, data, 'kubeletRules') === 'legacy') {
    const reason =
      `${hex(KUBELET_DROP_MARK)} is kubelet's drop mark (KUBE-MARK-DROP, kubeletRules legacy): KUBE-FIREWALL would drop ` +
      `every masqueraded packet; use another bit, like ${hex(0x4000)}`;
    out.push(problem(['masqueradeMark'], hex(mark), reason));
  }
  list(own(data, 'blocklists')).forEach((bl, i) => {
    const name = field(blocklistSchema.shape.name, bl, 'name');
    if (name === undefined || !GENERATED_NAMES.has(name.toUpperCase())) return;
    const reason =
      `${name.toUpperCase()} is a set or chain name lvslab generates (kube-proxy's sets and chains, lvslab's own chains) ` +
      `after the prefix; a blocklist's set, prefix + name, must never be one of them: choose another name`;
    out.push(problem(['blocklists', i, 'name'], name, reason));
  });
}
