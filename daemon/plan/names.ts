/** Names of everything lvslab creates, derived from the lab in one place. */
import type { LabConfig } from '../config/types.js';
import { LVSLAB_CHAINS, LVSLAB_SETS, prefixed } from '../config/reserved.js';

export const chainNames = (lab: LabConfig) => prefixed(lab.prefix, LVSLAB_CHAINS);
export const setNames = (lab: LabConfig) => prefixed(lab.prefix, LVSLAB_SETS);

export const blocklistSetName = (lab: LabConfig, name: string): string => `${lab.prefix}${name}`;

/** The comment on every jump lvslab adds to a built-in chain. */
export const jumpComment = (lab: LabConfig): string => `"lvslab:${lab.lab}"`;

/** A mark as iptables-save prints it: 0x4000. */
export const hexMark = (mark: number): string => `0x${mark.toString(16)}`;

/** Network namespace names of the one-box lab. */
export const netnsName = (lab: Pick<LabConfig, 'lab'>, node: string): string => `${lab.lab}-${node}`;
export const switchNetns = (lab: Pick<LabConfig, 'lab'>): string => `${lab.lab}-sw`;
