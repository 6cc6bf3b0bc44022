/**
 * The size of a hash set lvslab creates, from its entry count: `maxelem` (the most it may hold) and
 * `hashsize` (its buckets). Both are powers of two, so that a list growing by a few entries does not
 * change its set's definition each time.
 */

/** ipset's default maxelem (and kube-proxy's): what a set holds at most unless it is created larger. */
export const IPSET_DEFAULT_MAXELEM = 65_536;
/** ipset's default hashsize (and kube-proxy's). */
export const IPSET_DEFAULT_HASHSIZE = 1024;

const doubledUntil = (start: number, enough: number): number => {
  let n = start;
  while (n < enough) n *= 2;
  return n;
};

/** ipset's default maxelem, doubled until the entries fit (100,000 entries: 131072). */
export const setMaxelem = (entries: number): number => doubledUntil(IPSET_DEFAULT_MAXELEM, entries);

/**
 * ipset's default hashsize, doubled until there are at least half as many buckets as entries
 * (100,000 entries: 65536). The kernel grows a hash that fills by rehashing it whole, and never shrinks
 * one; measured on this machine's kernel, a set created at 1024 holding 100,000 addresses had grown to
 * 65536, so creating it at that size saves the growing.
 */
export const setHashsize = (entries: number): number => doubledUntil(IPSET_DEFAULT_HASHSIZE, Math.ceil(entries / 2));

/** A hash set's options as `ipset save` prints them, sized for `entries`. */
export const hashSetOptions = (entries: number): Readonly<Record<string, string>> => ({
  family: 'inet',
  hashsize: String(setHashsize(entries)),
  maxelem: String(setMaxelem(entries)),
});
