/**
 * One change to the kernel, as the pure diff produces it and the adapters apply it. A converged node
 * has an empty list. Each adapter applies only the kinds it knows, as one batch.
 */
import type { Address, Chain, IpSet, IpvsTimeouts, JumpRule, Link, RealServer, Route, Sysctl, VirtualService } from './types.js';

export type Change =
  | { readonly kind: 'sysctl-set'; readonly sysctl: Sysctl; readonly from: string | undefined }
  | { readonly kind: 'link-add'; readonly link: Link }
  | { readonly kind: 'link-set'; readonly link: Link }
  /** The link is there but of another kind (a lab moved from DR to TUN): deleted and made again, addresses with it. */
  | { readonly kind: 'link-replace'; readonly link: Link; readonly from: Link }
  | { readonly kind: 'link-del'; readonly link: Link }
  | { readonly kind: 'address-add'; readonly address: Address }
  | { readonly kind: 'address-del'; readonly address: Address }
  | { readonly kind: 'route-add'; readonly route: Route }
  | { readonly kind: 'route-del'; readonly route: Route }
  | { readonly kind: 'ipset-create'; readonly set: IpSet }
  /** Contents replaced atomically: a temporary set is filled, swapped in, destroyed. */
  | { readonly kind: 'ipset-update'; readonly set: IpSet; readonly from: IpSet }
  | { readonly kind: 'ipset-destroy'; readonly set: IpSet }
  /** Create the chain, or replace all its rules when it exists (`from`). */
  | { readonly kind: 'chain-write'; readonly chain: Chain; readonly from?: Chain }
  | { readonly kind: 'chain-delete'; readonly chain: Chain }
  | { readonly kind: 'jump-add'; readonly jump: JumpRule }
  | { readonly kind: 'jump-del'; readonly jump: JumpRule }
  /** A new virtual service; its real servers come as separate rs-add changes. */
  | { readonly kind: 'vs-add'; readonly service: VirtualService }
  | { readonly kind: 'vs-edit'; readonly service: VirtualService; readonly from: VirtualService }
  /** Deleting a service deletes its real servers with it (no rs-del is emitted for them). */
  | { readonly kind: 'vs-del'; readonly service: VirtualService }
  | { readonly kind: 'rs-add'; readonly service: VirtualService; readonly real: RealServer }
  | { readonly kind: 'rs-edit'; readonly service: VirtualService; readonly real: RealServer; readonly from: RealServer }
  | { readonly kind: 'rs-del'; readonly service: VirtualService; readonly real: RealServer }
  /**
   * `ipvsadm --set`: the timeouts named (one left out stays as it is). With `restore` they are the node's
   * own, recorded in the ledger when lvslab took charge, written back now that the lab no longer names
   * them (a reload without the key, cleanup); the record is forgotten once they are.
   */
  | { readonly kind: 'ipvs-timeouts-set'; readonly timeouts: Partial<IpvsTimeouts>; readonly from: Partial<IpvsTimeouts> | undefined; readonly restore?: undefined }
  | { readonly kind: 'ipvs-timeouts-set'; readonly timeouts: IpvsTimeouts; readonly from: Partial<IpvsTimeouts> | undefined; readonly restore: true };

export type ChangeKind = Change['kind'];

export const ofKind = <K extends ChangeKind>(changes: readonly Change[], ...kinds: K[]): Extract<Change, { kind: K }>[] =>
  changes.filter((c): c is Extract<Change, { kind: K }> => (kinds as string[]).includes(c.kind));
