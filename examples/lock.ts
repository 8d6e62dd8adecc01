/**
 * A distributed mutex on TinyKV, in the shape of etcd's `concurrency.Mutex`.
 *
 * lock(): put `NAME/<lease id>` attached to the session's lease, in a transaction that writes
 * only if the key does not exist yet (createRevision = 0); its createRevision is its place in
 * line. Then wait, watching `NAME/`, until every key created before it is deleted: the holders
 * before it unlocked, or their sessions died and their leases expired. unlock(): delete the key.
 *
 * A holder that crashes releases the lock after its TTL (plus, when the leader fails at the same
 * time, one election: a new leader gives every lease a fresh TTL). A holder cut off from the
 * cluster for longer than its TTL loses the lock without knowing at once: fence what it writes
 * with `ownerCompare()` in a transaction, and watch `session.done`.
 *
 *   deno run -A examples/lock.ts [HOST:PORT,...]   (default 127.0.0.1:7001; bun run works too)
 *
 * Run it twice at once: the second waits until the first unlocks.
 */
import { connect, type TinyKvClient, type TxnCompare } from "../mod.ts";
import { createOwnKey, endpointsArg, Session, waitForTurn } from "./session.ts";

export class Mutex {
  readonly key: string;
  #revision = 0;

  constructor(readonly session: Session, readonly name: string) {
    this.key = `${name}/${session.leaseId.toString(16)}`;
  }

  /** The createRevision of this mutex's key while it is held, else 0. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Resolves once this session holds the lock. On abort (`signal`), or when the session's lease
   * ends while waiting, it takes its key out of the line and throws.
   */
  async lock(options: { signal?: AbortSignal } = {}): Promise<void> {
    const client = this.session.client;
    const { createRevision } = await createOwnKey(this.session, this.key, "");
    try {
      await waitForTurn(this.session, `${this.name}/`, this.key, createRevision, options.signal);
    } catch (err) {
      await client.delete(this.key).catch(() => false); // the lease would remove it anyway
      throw err;
    }
    this.#revision = createRevision;
  }

  /**
   * A compare that holds only while this mutex is held: put it in a txn's `compare` so a write
   * happens only under the lock, even if the lease ended since `lock()` returned.
   */
  ownerCompare(): TxnCompare {
    if (this.#revision === 0) throw new Error(`${this.name} is not locked by this session`);
    return { key: this.key, target: "createRevision", result: "=", number: this.#revision };
  }

  /** Releases the lock (the next in line is told by its watch). */
  async unlock(): Promise<void> {
    this.#revision = 0;
    await this.session.client.delete(this.key);
  }
}

/** The demo: lock `examples/lock`, hold it for `holdMs`, unlock. */
export async function main(
  client: TinyKvClient,
  options: { holdMs?: number; log?: (line: string) => void } = {},
): Promise<void> {
  const log = options.log ?? console.log;
  const session = await Session.open(client, 5);
  try {
    log(`session: lease ${session.leaseId} with a TTL of ${session.ttlSeconds} s`);
    const mutex = new Mutex(session, "examples/lock");
    log(`waiting for examples/lock as ${mutex.key}`);
    await mutex.lock({ signal: AbortSignal.timeout(60_000) });
    log(`locked at revision ${mutex.revision}; holding it for ${options.holdMs ?? 3000} ms`);
    // Work under the lock: this write happens only if we still hold it.
    const r = await client.txn({
      compare: [mutex.ownerCompare()],
      success: [{ put: { key: "examples/lock-owner", value: mutex.key } }],
    });
    log(r.succeeded ? "wrote examples/lock-owner under the lock" : "lost the lock");
    await new Promise((resolve) => setTimeout(resolve, options.holdMs ?? 3000));
    log("unlocking");
    await mutex.unlock();
    log("unlocked");
  } finally {
    await session.close();
  }
}

if (import.meta.main) {
  const client = connect({ endpoints: endpointsArg() });
  try {
    await main(client);
  } finally {
    client.close();
  }
}
