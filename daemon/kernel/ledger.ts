/**
 * The ownership ledger: the identity keys (ownership.ts) of the kernel objects lvslab created on one
 * node of one lab, in a small JSON file beside the daemon's state file (/run/lvslab/LAB/NODE.owned.json).
 * It is what lets a run delete an object the lab no longer names (a virtual server removed by a reload,
 * a restart with a changed lab, `cleanup`) without ever deleting a neighbour's object at a similar key.
 *
 * Why a ledger and not marks in the kernel objects (kube-proxy/keepalived style): an IPVS service
 * carries no comment or mark, and neither does an ipset or an address; only iptables rules (comment)
 * and routes (protocol 241) do. One record for every kind keeps one rule for all of them.
 *
 * Why it survives SIGKILL mid-apply: it is a write-ahead record. The keys of the objects a change list
 * creates are written (temporary file + rename: the file is always whole) BEFORE the first batch runs;
 * the keys of the objects it deletes are forgotten only AFTER every batch succeeded. So at every
 * instant the ledger holds every object lvslab may have made: a crash between a kernel write and the
 * ledger write can never leak an object. An object that was there before lvslab's first run at exactly
 * a key the plan names is adopted: observe records it, so it is still removed once the lab drops it.
 * The other direction: a key stays in the ledger while its object is gone (a crash after a deletion, a
 * create that failed); observe forgets such keys as soon as it sees the object absent, unless an apply
 * ran in this process since that observation began (its fresh keys may name objects observe could not
 * see yet). Until then a neighbour would have to create
 * an object with exactly that key — the same protocol, address and port, set or chain name, rule text
 * or route destination with protocol 241 — for lvslab to take it. Updates in one process are
 * serialized; two processes (the daemon and a CLI `apply` on the same node) are not coordinated.
 *
 * One key is not an object: "host-ipvs-timeouts:TCP,TCPFIN,UDP", the node's own IPVS timeouts, which
 * observe records the first time a plan names them (before any change to them), so that cleanup or a
 * lab without the key can write them back; it is forgotten only once they are back (ownership.ts).
 */
import { mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Ledger {
  readonly path: string;
  /** The recorded keys; an absent file is an empty ledger (nothing created yet, or a fresh boot: /run). */
  read(): Promise<ReadonlySet<string>>;
  /** A count that moves whenever an apply starts; pass what observe saw at its start to prune. */
  epoch(): number;
  /** Runs `write` (the kernel batches) with `created` recorded before and `forgotten` removed after it succeeded. */
  around<T>(created: readonly string[], forgotten: readonly string[], write: () => Promise<T>): Promise<T>;
  /**
   * After an observation: records `adopted` (objects at keys the plan names that lvslab now manages),
   * and forgets `absent` (keys whose object is gone) unless an apply started since `epoch` or is still
   * running (its keys may name objects that observation could not see yet).
   */
  settle(adopted: readonly string[], absent: readonly string[], epoch: number): Promise<void>;
}

interface PathState {
  queue: Promise<unknown>;
  epoch: number;
  applying: number;
}

/** One state per file in this process: every nodeKernel of the same node shares it. */
const states = new Map<string, PathState>();

const FORMAT = 1;

async function readKeys(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
  const parsed = JSON.parse(text) as { format?: unknown; keys?: unknown };
  if (parsed.format !== FORMAT || !Array.isArray(parsed.keys) || !parsed.keys.every((k) => typeof k === 'string')) {
    throw new Error(`ownership ledger ${path}: not a format ${FORMAT} ledger (move it away to start with an empty one)`);
  }
  return new Set(parsed.keys as string[]);
}

/** An error code of a file operation that means "nothing to do here". */
const isCode = (e: unknown, ...codes: string[]): boolean => codes.includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Writes the keys; an empty set removes the file, and its folder (/run/lvslab/LAB) when nothing else is
 * left in it, so that a node lvslab owns nothing on any more (after `cleanup`) keeps nothing of it.
 */
async function writeKeys(path: string, keys: ReadonlySet<string>): Promise<void> {
  if (keys.size === 0) {
    await rm(path, { force: true });
    await rmdir(dirname(path)).catch((e: unknown) => {
      if (!isCode(e, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) throw e;
    });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ format: FORMAT, keys: [...keys].sort() }, null, 1)}\n`);
  await rename(tmp, path);
}

export function fileLedger(path: string): Ledger {
  let state = states.get(path);
  if (state === undefined) {
    state = { queue: Promise.resolve(), epoch: 0, applying: 0 };
    states.set(path, state);
  }
  const s = state;
  /** Read-modify-write, one at a time per file; the file is rewritten only when the keys changed. */
  const update = (edit: (keys: Set<string>) => boolean): Promise<void> => {
    const next = s.queue.then(async () => {
      const keys = await readKeys(path);
      if (edit(keys)) await writeKeys(path, keys);
    });
    s.queue = next.catch(() => undefined);
    return next;
  };
  return {
    path,
    read: () => readKeys(path),
    epoch: () => s.epoch,
    async around(created, forgotten, write) {
      s.epoch++;
      s.applying++;
      try {
        if (created.length > 0) await update((keys) => created.reduce((changed, k) => (keys.has(k) ? changed : (keys.add(k), true)), false));
        const result = await write();
        if (forgotten.length > 0) await update((keys) => forgotten.reduce((changed, k) => keys.delete(k) || changed, false));
        return result;
      } finally {
        s.applying--;
      }
    },
    settle(adopted, absent, epoch) {
      if (adopted.length === 0 && absent.length === 0) return Promise.resolve();
      return update((keys) => {
        let changed = adopted.reduce((c, k) => (keys.has(k) ? c : (keys.add(k), true)), false);
        if (s.applying === 0 && s.epoch === epoch) changed = absent.reduce((c, k) => keys.delete(k) || c, changed);
        return changed;
      });
    },
  };
}
