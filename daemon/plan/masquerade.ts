/**
 * The mark-then-masquerade pair kube-proxy uses, shared by the LVS plan and the kube plan: a chain that
 * sets the mark bit on what needs SNAT, and a POSTROUTING chain that masquerades marked packets once
 * (clearing the bit first, so a packet that passes again is not masqueraded twice).
 */
import { hexMark } from './names.js';

export const markMasqRules = (mark: number): string[] => [`-j MARK --set-xmark ${hexMark(mark)}/${hexMark(mark)}`];

/** `masquerade`: the final rule, e.g. '-m comment --comment "…" -j MASQUERADE --random-fully'. */
export const postroutingRules = (mark: number, masquerade: string): string[] => [
  `-m mark ! --mark ${hexMark(mark)}/${hexMark(mark)} -j RETURN`,
  `-j MARK --set-xmark ${hexMark(mark)}/0x0`,
  masquerade,
];
