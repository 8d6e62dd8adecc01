/**
 * The replicated state machine: applies committed Raft entries to the
 * storage engine, which runs with its own WAL off (docs/design.md §2.4): the Raft log
 * is the write-ahead log, and the applied index is written in the same atomic
 * engine batch as the data, so after a crash the engine and its applied index
 * agree and the node re-applies the log from there.
 *
 * Every change is kept with its revision (docs/coordination.md): the current
 * state of each key, its history until compacted, and the events watchers get.
 *
 * Apply passes write one engine batch per pass (split when it grows past
 * APPLY_BATCH_*, and before a command that must read the engine first). An
 * engine write failure leaves memory ahead of the engine, so it is fatal for
 * the node: the error propagates and the node stops.
 */
import type { Command } from "../gen/tinykv/v1/tinykv_pb.ts";
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import {
  APPLY_BATCH_BYTES_MAX,
  APPLY_BATCH_OPS_MAX,
  SCAN_LIMIT_DEFAULT,
  SCAN_LIMIT_MAX,
} from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { assert } from "../util/assert.ts";
import { u64ToNumber } from "../util/ids.ts";
import { decodeCommand } from "./command_codec.ts";
import { failure } from "./apply.ts";
import { needsEngine, prepare, type Prepared, runCommand, withRevision } from "./command_runner.ts";
import { HistoryCompactor } from "./history_compactor.ts";
import { type HistoryPage, rangeAt, readChanges, stateAt } from "./history_reader.ts";
import { decodeCurrent } from "./key_record.ts";
import type { KeyRange, KeyState, KvEvent } from "./key_state.ts";
import { dataKey } from "./keyspace.ts";
import { type KvScanPage, type KvScanRequest, scanPage, scanRange } from "./kv_scan.ts";
import { attachedKeys, LeaseTable } from "./lease_table.ts";
import { type MemberAddressWrite, memberWriteOp } from "./members.ts";
import { encodeOutcome } from "./outcome_codec.ts";
import { RevisionWriter } from "./revision_writer.ts";
import { CompactedError, FutureRevisionError } from "./revision_errors.ts";
import { Sessions } from "./sessions.ts";
import { engineRevision, openMeta, type StoreMeta, writeMeta } from "./store_meta.ts";
import { WriteSet } from "./write_set.ts";

/** A committed entry to apply; `data` is null for entries without a command. */
export interface ApplyEntry {
  readonly index: number;
  readonly data: Uint8Array | null;
  /** Address-book changes a membership entry makes (written in the same batch). */
  readonly members?: readonly MemberAddressWrite[];
}

export class KvStateMachine {
  #meta: StoreMeta;
  #events: KvEvent[] = [];
  readonly compactor: HistoryCompactor;

  private constructor(
    readonly db: Db,
    meta: StoreMeta,
    readonly sessions: Sessions,
    readonly leaseTable: LeaseTable,
  ) {
    this.#meta = meta;
    this.compactor = new HistoryCompactor(db);
    if (meta.compacted > 0) this.compactor.request(meta.compacted);
  }

  /** Opens over an engine: its applied index, revisions, client sessions and leases. */
  static async open(db: Db, sessions = new Sessions()): Promise<KvStateMachine> {
    const meta = await openMeta(db, sessions);
    return new KvStateMachine(db, meta, sessions, await LeaseTable.load(db));
  }

  get appliedIndex(): number {
    return this.#meta.applied;
  }

  /** Number of user keys as of the applied index. */
  get keyCount(): number {
    return this.#meta.keyCount;
  }

  /** The store's revision: the Raft index of the last change. */
  get revision(): number {
    return this.#meta.revision;
  }

  /**
   * The revision of what the engine holds at this moment, for a current read
   * made in the same turn. `revision` can lag it briefly: an apply pass's
   * batch is visible in the engine before the pass's write resolves and the
   * pass's counters move (tests/kv/read_revision_race_test.ts).
   */
  get visibleRevision(): number {
    return engineRevision(this.db);
  }

  /** Reads and watches below this revision answer COMPACTED. */
  get compactedRevision(): number {
    return this.#meta.compacted;
  }

  get leases(): ReadonlyMap<number, { id: number; ttlSeconds: number }> {
    return new Map(this.leaseTable.list().map((l) => [l.id, l]));
  }

  leaseKeys(id: number): Promise<Uint8Array[]> {
    return attachedKeys(this.db, id);
  }

  /** Events applied since the last call, in revision order (all durable in the engine). */
  drainEvents(): KvEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /**
   * Applies committed entries in log order; entries at or below the applied
   * index (replayed after a restart) are skipped. Returns the encoded outcome
   * (a ClientResponse without request id) of each command entry by index.
   */
  async apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>> {
    const outcomes = new Map<number, Uint8Array>();
    const ws = new WriteSet(this.db);
    let pass = { ...this.#meta };
    let last = this.#meta.applied;
    for (const e of entries) {
      if (e.index <= this.#meta.applied) continue;
      assert(e.index === last + 1, `apply gap: entry ${e.index} after ${last}`);
      // A large value is written twice (current and history): keep one batch under the limit.
      if (e.data !== null && ws.bytes + 2 * e.data.length > APPLY_BATCH_BYTES_MAX) {
        if (last > this.#meta.applied) pass = await this.#commit(ws, last, pass);
      }
      if (e.data !== null) {
        const command = decodeCommand(e.data);
        let prepared: Prepared | undefined;
        if ("body" in command && needsEngine(command) && this.#isNew(command)) {
          // A command that reads the engine first sees every earlier entry there.
          if (last > this.#meta.applied) pass = await this.#commit(ws, last, pass);
          prepared = await prepare(command, ws, this.leaseTable, this.db, e.index);
        }
        const result = this.#applyOne(e.index, command, ws, pass, prepared);
        pass = result.pass;
        outcomes.set(e.index, result.outcome);
      }
      last = e.index;
      for (const m of e.members ?? []) {
        const op = memberWriteOp(m);
        if (op.value === null) ws.delete(op.key);
        else ws.put(op.key, op.value);
      }
      if (ws.bytes >= APPLY_BATCH_BYTES_MAX || ws.size >= APPLY_BATCH_OPS_MAX) {
        pass = await this.#commit(ws, last, pass);
      }
    }
    if (last > this.#meta.applied) await this.#commit(ws, last, pass);
    return outcomes;
  }

  #isNew(command: Command): boolean {
    const clientId = u64ToNumber(command.clientId, "client id");
    const sequence = u64ToNumber(command.sequence, "sequence");
    return clientId === 0 || sequence === 0 ||
      this.sessions.lookup(clientId, sequence).kind === "new";
  }

  async #commit(ws: WriteSet, applied: number, pass: StoreMeta): Promise<StoreMeta> {
    // The applied index only grows: replicas and restarts re-apply from it.
    assert(applied > this.#meta.applied, `applied index ${applied} after ${this.#meta.applied}`);
    this.sessions.flush(ws);
    const next = { ...pass, applied, keyCount: pass.keyCount + ws.keysDelta };
    assert(next.keyCount >= 0, `key count went negative at ${applied}`);
    writeMeta(ws, next, this.#meta);
    await this.db.write(ws.ops());
    ws.clear();
    this.#meta = next;
    for (const e of this.#pendingEvents) this.#events.push(e);
    this.#pendingEvents.length = 0;
    this.compactor.request(next.compacted);
    return { ...next };
  }

  readonly #pendingEvents: KvEvent[] = [];

  #applyOne(
    index: number,
    command: ReturnType<typeof decodeCommand>,
    ws: WriteSet,
    pass: StoreMeta,
    prepared: Prepared | undefined,
  ): { outcome: Uint8Array; pass: StoreMeta } {
    if (!("body" in command)) {
      const code = command.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
      return { outcome: encodeOutcome(failure(code, command.message)), pass };
    }
    // decodeCommand validated every 64-bit field (util/ids.ts): these cannot throw.
    const clientId = u64ToNumber(command.clientId, "client id");
    const sequence = u64ToNumber(command.sequence, "sequence");
    const run = (): { outcome: Uint8Array; pass: StoreMeta } => {
      const w = new RevisionWriter(ws, index, this.leaseTable);
      const outcome = runCommand(command, index, w, pass, prepared);
      const next = w.changed ? { ...pass, revision: index } : { ...pass, ...outcome.meta };
      this.#pendingEvents.push(...w.events);
      return { outcome: encodeOutcome(withRevision(outcome.outcome, next.revision)), pass: next };
    };
    if (clientId === 0 || sequence === 0) return run();
    const seen = this.sessions.lookup(clientId, sequence);
    if (seen.kind === "saved") return { outcome: seen.outcome, pass };
    if (seen.kind === "forgotten") {
      const f = failure(ErrorCode.INVALID_ARGUMENT, `sequence ${sequence} was acknowledged`);
      return { outcome: encodeOutcome(f), pass };
    }
    const result = run();
    const ackedSequence = u64ToNumber(command.ackedSequence, "acked sequence");
    this.sessions.record({ clientId, sequence, ackedSequence, index }, result.outcome, ws);
    return result;
  }

  /** The current state of a user key, from local state. */
  get(key: Uint8Array): KeyState | undefined {
    const raw = this.db.get(dataKey(key));
    return raw === undefined ? undefined : decodeCurrent(key, raw);
  }

  #checkReadable(revision: number): void {
    if (revision > this.#meta.revision) {
      throw new FutureRevisionError(revision, this.#meta.revision);
    }
    if (revision < this.#meta.compacted) throw new CompactedError(revision, this.#meta.compacted);
  }

  /** The key as of `revision`. */
  async getAt(key: Uint8Array, revision: number): Promise<KeyState | undefined> {
    this.#checkReadable(revision);
    const snap = this.db.snapshot();
    try {
      return await stateAt(snap, key, revision);
    } finally {
      snap.release();
    }
  }

  /** Keys of `range` as of `revision`, after `after`, up to `limit`. */
  async rangeAt(range: KeyRange, revision: number, limit: number, after?: Uint8Array) {
    this.#checkReadable(revision);
    const snap = this.db.snapshot();
    try {
      return await rangeAt(snap, range, revision, limit, after);
    } finally {
      snap.release();
    }
  }

  /** One page of a scan, now or as of `request.revision`. */
  async scan(request: KvScanRequest): Promise<KvScanPage> {
    const revision = request.revision ?? 0;
    if (revision === 0 || revision === this.#meta.revision) {
      // The scan pins the engine when it starts, in this turn: it sees exactly this revision.
      const at = this.visibleRevision;
      return { ...(await scanPage(this.db, request)), revision: at };
    }
    const limit = Math.min(request.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
    const { range, after } = scanRange(request);
    const { states, more } = await this.rangeAt(range, revision, limit, after);
    const last = states[states.length - 1];
    return {
      items: states,
      nextCursor: more && last !== undefined ? last.key : undefined,
      revision,
    };
  }

  /** Changes to `range` from revision `from` on, in revision order (for watches). */
  async readHistory(
    from: number,
    range: KeyRange,
    o: { readonly maxEvents: number; readonly prevKv: boolean },
  ): Promise<HistoryPage> {
    if (from < this.#meta.compacted) throw new CompactedError(from, this.#meta.compacted);
    const current = this.#meta.revision;
    const snap = this.db.snapshot();
    try {
      return await readChanges(snap, from, current, range, o);
    } finally {
      snap.release();
    }
  }
}

export type { KeyState };
