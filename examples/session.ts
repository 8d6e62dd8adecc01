/**
 * What the lock (lock.ts) and the election (election.ts) stand on, in the shape of etcd's
 * `concurrency` package: a session is a lease kept alive for as long as its process runs, and
 * the contenders for a name each own one key `NAME/<lease id>` attached to their session. The
 * key created first (lowest createRevision) owns the name; the others wait, each watching the
 * key just ahead of its own in line, until every key created before its own is gone (as etcd's
 * waitDeletes: a release wakes one waiter, not the whole line). A holder that dies stops
 * its keep-alives; its lease expires, its key is deleted, and the next one in line goes ahead.
 *
 * Copy it with lock.ts or election.ts: it imports only the client library.
 */
import {
  type KeepAliveHandle,
  type KeyEntry,
  type TinyKvClient,
  TinyKvError,
  type WatchChange,
} from "../mod.ts";

/** A lease kept alive in the background, shared by the locks and elections of a process. */
export class Session {
  private constructor(
    readonly client: TinyKvClient,
    /** The lease every key of this session is attached to. */
    readonly leaseId: number,
    /** The TTL the cluster granted (it may raise a short one to its minimum). */
    readonly ttlSeconds: number,
    readonly keepAlive: KeepAliveHandle,
  ) {}

  /** Grants a lease of `ttlSeconds` and keeps it alive (a keep-alive every third of the TTL). */
  static async open(client: TinyKvClient, ttlSeconds = 5): Promise<Session> {
    const lease = await client.grant(ttlSeconds);
    return new Session(client, lease.id, lease.grantedTtlSeconds, client.keepAlive(lease.id));
  }

  /** Resolves when the lease is gone (the error says why), or undefined after `close()`. */
  get done(): Promise<Error | undefined> {
    return this.keepAlive.done;
  }

  /** Ends the session: its keys (locks held, candidacies) are deleted at once. */
  async close(): Promise<void> {
    this.keepAlive.close();
    try {
      await this.client.revoke(this.leaseId);
    } catch (err) {
      // Already expired: its keys are gone too, which is what closing wants.
      if (!(err instanceof TinyKvError && err.code === "LEASE_NOT_FOUND")) throw err;
    }
  }

  /** Stops the keep-alives without revoking, as a crash would: the keys go after the TTL. */
  abandon(): void {
    this.keepAlive.close();
  }
}

/**
 * Creates `key` attached to the session's lease unless it exists (this session already holds
 * or waits for the name). Resolves with the key's createRevision: its place in line.
 */
export async function createOwnKey(
  session: Session,
  key: string,
  value: string,
): Promise<{ createRevision: number; existing?: KeyEntry }> {
  const r = await session.client.txn({
    compare: [{ key, target: "createRevision", result: "=", number: 0 }],
    success: [{ put: { key, value, lease: session.leaseId } }],
    failure: [{ range: { key } }],
  });
  if (r.succeeded) return { createRevision: r.revision };
  const read = r.results[0];
  const existing = read !== undefined && "range" in read ? read.range.kvs[0] : undefined;
  // The compare failed, so the key existed when the txn ran: its range read found it.
  if (existing === undefined) throw new Error(`txn on ${key}: no key and no put`);
  return { createRevision: existing.createRevision, existing };
}

/** The keys under a prefix as of one revision, by hex key. */
export interface PrefixState {
  readonly revision: number;
  readonly keys: ReadonlyMap<string, KeyEntry>;
}

/** Keys per page of a prefix read, and pages at most: a name with more contenders is refused. */
const PAGE_KEYS = 1000;
const PAGES_MAX = 100;

/** Every key under `prefix`, exactly as of one revision (a scan names the revision it read). */
export async function readPrefix(client: TinyKvClient, prefix: string): Promise<PrefixState> {
  let page = await client.scan({ prefix, limit: PAGE_KEYS });
  const revision = page.revision;
  const keys = new Map<string, KeyEntry>();
  for (let n = 1; n <= PAGES_MAX; n++) {
    for (const e of page.items) keys.set(hex(e.key), e);
    const cursor = page.nextCursor;
    if (cursor === undefined) return { revision, keys };
    // The next pages at the first one's revision: one consistent state.
    page = await client.scan({ prefix, revision, cursor, limit: PAGE_KEYS });
  }
  throw new Error(`more than ${PAGES_MAX * PAGE_KEYS} keys under ${prefix}`);
}

/**
 * The keys under `prefix` now, then again after each revision that changed one of them: a
 * read at one revision, then a watch from the next. Ends when `signal` aborts. The map is
 * updated in place: read it before asking for the next state.
 */
export async function* prefixStates(
  client: TinyKvClient,
  prefix: string,
  signal?: AbortSignal,
): AsyncGenerator<PrefixState> {
  const first = await readPrefix(client, prefix);
  const keys = new Map(first.keys);
  signal?.throwIfAborted();
  yield { revision: first.revision, keys };
  const watch = client.watch({ prefix }, { fromRevision: first.revision + 1 });
  const stop = () => watch.cancel();
  signal?.addEventListener("abort", stop);
  if (signal?.aborted) stop(); // aborted while the caller looked at the first state
  try {
    for await (const update of watch) {
      for (const e of update.events) {
        if (e.type === "delete") keys.delete(hex(e.key));
        else keys.set(hex(e.key), entryOf(e));
      }
      yield { revision: update.revision, keys };
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    watch.cancel();
  }
}

/** Rounds of waitForTurn at most: one per contender ahead of us that leaves. */
const TURN_ROUNDS_MAX = 100_000;

/**
 * Waits until no key under `prefix` was created before `ownKey` (created at `ownRevision`).
 * Each round watches only the key just ahead in line, so a release wakes one waiter, not all
 * (the whole line is read again when that key goes: the ones ahead of it may be gone too).
 * Throws if `ownKey` is gone (its session's lease ended), or when `signal` aborts.
 */
export async function waitForTurn(
  session: Session,
  prefix: string,
  ownKey: string,
  ownRevision: number,
  signal?: AbortSignal,
): Promise<void> {
  const own = hex(new TextEncoder().encode(ownKey));
  for (let round = 0; round < TURN_ROUNDS_MAX; round++) {
    // A linearizable read after our txn: it holds our key unless our lease already ended.
    const { revision, keys } = await readPrefix(session.client, prefix);
    if (!keys.has(own)) throw new Error(`the session ended: ${ownKey} is gone with its lease`);
    const ahead = lastCreatedBefore(keys.values(), ownRevision);
    if (ahead === undefined) return;
    await waitDeleted(session, ahead.key, revision + 1, signal);
  }
  throw new Error(`more than ${TURN_ROUNDS_MAX} rounds waiting for ${ownKey}`);
}

/** Resolves once `key` is deleted at or after revision `from`; throws on abort or lost lease. */
async function waitDeleted(
  session: Session,
  key: Uint8Array,
  from: number,
  signal?: AbortSignal,
): Promise<void> {
  const watch = session.client.watch(key, { fromRevision: from });
  const stop = () => watch.cancel();
  signal?.addEventListener("abort", stop);
  if (signal?.aborted) stop();
  let ended = false;
  void session.done.then(() => ended = true).then(stop);
  try {
    for await (const u of watch) if (u.events.some((e) => e.type === "delete")) return;
  } finally {
    signal?.removeEventListener("abort", stop);
    watch.cancel();
  }
  signal?.throwIfAborted();
  throw new Error(ended ? "the session ended while waiting" : "the watch ended while waiting");
}

/** The entry created last before `revision`: the one just ahead in line. */
function lastCreatedBefore(keys: Iterable<KeyEntry>, revision: number): KeyEntry | undefined {
  let last: KeyEntry | undefined;
  for (const e of keys) {
    if (e.createRevision >= revision) continue;
    if (last === undefined || e.createRevision > last.createRevision) last = e;
  }
  return last;
}

/** The entry created first (lowest createRevision): the owner of the name. */
export function firstCreated(keys: Iterable<KeyEntry>): KeyEntry | undefined {
  let first: KeyEntry | undefined;
  for (const e of keys) {
    if (first === undefined || e.createRevision < first.createRevision) first = e;
  }
  return first;
}

/** A watched change as the key's state after it (the fields a read returns). */
function entryOf(e: WatchChange): KeyEntry {
  const { type: _type, prev: _prev, ...entry } = e;
  return entry;
}

/** The endpoints on the command line (Deno and Bun both have `process.argv`), or the default. */
export function endpointsArg(): string[] {
  const argv = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
  return (argv[2] ?? "127.0.0.1:7001").split(",");
}

/** A map key for raw key bytes (keys under a prefix need not be UTF-8). */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
