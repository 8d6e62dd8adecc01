/**
 * Leader election on TinyKV, in the shape of etcd's `concurrency.Election`.
 *
 * Each candidate puts `NAME/<lease id>` = its value, attached to its session's lease, in a
 * transaction that writes only if the key does not exist yet. The candidate whose key was
 * created first (lowest createRevision) is the leader; campaign() resolves when that is us
 * (every key created before ours is gone). proclaim() changes the leader's value, resign() steps
 * down, observe() follows who leads. A leader whose process dies stops its keep-alives; its key
 * goes with its lease and the next candidate in line leads.
 *
 *   deno run -A examples/election.ts [HOST:PORT,...]   (default 127.0.0.1:7001)
 *
 * Run it two or three times at once: they take turns, and each prints who leads.
 */
import { connect, type KeyEntry, type TinyKvClient } from "../mod.ts";
import {
  createOwnKey,
  endpointsArg,
  firstCreated,
  prefixStates,
  readPrefix,
  Session,
  waitForTurn,
} from "./session.ts";

export class Election {
  readonly key: string;
  #revision = 0;

  constructor(readonly session: Session, readonly name: string) {
    this.key = `${name}/${session.leaseId.toString(16)}`;
  }

  /** The createRevision of our key while we lead, else 0. */
  get revision(): number {
    return this.#revision;
  }

  /** Resolves once we lead, with `value` announced. Throws on abort or when our lease ends. */
  async campaign(value: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const client = this.session.client;
    const own = await createOwnKey(this.session, this.key, value);
    try {
      const stale = own.existing !== undefined &&
        new TextDecoder().decode(own.existing.value) !== value;
      if (stale) await this.#put(own.createRevision, value);
      await waitForTurn(
        this.session,
        `${this.name}/`,
        this.key,
        own.createRevision,
        options.signal,
      );
    } catch (err) {
      await client.delete(this.key).catch(() => false);
      throw err;
    }
    this.#revision = own.createRevision;
  }

  /** Changes the value the leader announces; throws if we are not (or no longer) the leader. */
  async proclaim(value: string): Promise<void> {
    if (this.#revision === 0) throw new Error(`not the leader of ${this.name}`);
    await this.#put(this.#revision, value);
  }

  /** Steps down (the next candidate in line leads); does nothing if we do not lead. */
  async resign(): Promise<void> {
    const revision = this.#revision;
    if (revision === 0) return;
    this.#revision = 0;
    await this.session.client.txn({
      compare: [{ key: this.key, target: "createRevision", result: "=", number: revision }],
      success: [{ delete: { key: this.key } }],
    });
  }

  /** The current leader's key and value, or undefined when nobody campaigns. */
  async leader(): Promise<KeyEntry | undefined> {
    return firstCreated((await readPrefix(this.session.client, `${this.name}/`)).keys.values());
  }

  /**
   * The leader now, then each change of leader or of its value (undefined: nobody leads),
   * until `signal` aborts or the caller stops iterating.
   */
  async *observe(signal?: AbortSignal): AsyncGenerator<KeyEntry | undefined> {
    let last: KeyEntry | undefined;
    let first = true;
    for await (const { keys } of prefixStates(this.session.client, `${this.name}/`, signal)) {
      const leader = firstCreated(keys.values());
      const same = leader?.createRevision === last?.createRevision &&
        leader?.modRevision === last?.modRevision;
      if (first || !same) yield leader;
      first = false;
      last = leader;
    }
  }

  /** Puts `value` on our key if it is still the one created at `revision`. */
  async #put(revision: number, value: string): Promise<void> {
    const r = await this.session.client.txn({
      compare: [{ key: this.key, target: "createRevision", result: "=", number: revision }],
      success: [{ put: { key: this.key, value, lease: this.session.leaseId } }],
    });
    if (!r.succeeded) {
      this.#revision = 0;
      throw new Error(`${this.key} is gone: its session's lease ended`);
    }
  }
}

/** The demo: print who leads while campaigning, lead for `leadMs` (proclaiming), resign. */
export async function main(
  client: TinyKvClient,
  options: { leadMs?: number; log?: (line: string) => void } = {},
): Promise<void> {
  const log = options.log ?? console.log;
  const session = await Session.open(client, 5);
  const stopObserving = new AbortController();
  try {
    const me = `candidate-${session.leaseId.toString(16)}`;
    const election = new Election(session, "examples/leader");
    void (async () => {
      for await (const leader of election.observe(stopObserving.signal)) {
        const who = leader === undefined ? "nobody" : new TextDecoder().decode(leader.value);
        log(`leader: ${who}`);
      }
    })().catch((err: unknown) => log(`observe ended: ${String(err)}`));
    log(`${me} campaigns for examples/leader`);
    await election.campaign(me, { signal: AbortSignal.timeout(60_000) });
    log(`${me} leads (revision ${election.revision}) for ${options.leadMs ?? 3000} ms`);
    await election.proclaim(`${me} (busy)`);
    await new Promise((resolve) => setTimeout(resolve, options.leadMs ?? 3000));
    await election.resign();
    log(`${me} resigned`);
  } finally {
    stopObserving.abort();
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
