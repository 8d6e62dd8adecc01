/**
 * The replicated state machine: applies committed Raft entries to the storage engine, whose own
 * WAL is off (docs/design.md §2.4): the Raft log is the WAL, and the applied index goes in the
 * same atomic batch as the data, so after a crash the node re-applies the log from there. Every
 * change is kept with its revision (docs/coordination.md): each key's current state, its history
 * until compacted, the events watchers get. A pass writes one engine batch (split past
 * APPLY_BATCH_*, and before a command that must read the engine first). An engine write failure
 * leaves memory ahead of the engine: fatal for the node.
 */
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
import { commandNow } from "./expire_apply.ts";
import { needsEngine, prepare, type Prepared, runCommand, withRevision } from "./command_runner.ts";
import { HistoryCompactor } from "./history_compactor.ts";
import { GarbageCollector } from "./redis/garbage.ts";
import {
  type HistoryOptions,
  type HistoryPage,
  keyAt,
  keysAt,
  type ReadBounds,
  readChangesPinned,
} from "./history_reader.ts";
import { decodeCurrent } from "./key_record.ts";
import { isExpired, type KeyRange, type KeyState, type KvEvent } from "./key_state.ts";
import { dataKey } from "./keyspace.ts";
import { type KvScanPage, type KvScanRequest, scanPage, scanRange } from "./kv_scan.ts";
import { attachedKeys, LeaseTable } from "./lease_table.ts";
import { encodeOutcome } from "./outcome_codec.ts";
import { RevisionWriter } from "./revision_writer.ts";
import { type ApplyEntry, entryRevision } from "./entry_revision.ts";
import { CompactedError } from "./revision_errors.ts";
import { Sessions } from "./sessions.ts";
import { engineRevision, openMeta, type StoreMeta, writeMeta } from "./store_meta.ts";
import { WriteSet } from "./write_set.ts";
import { DEFAULT_REGION_ID, type KvOptions, type RegionKeys, regionKeys } from "./region_keys.ts";
import { EventQueue } from "./event_queue.ts";
import { type HistoryView, openHistoryView } from "./history_view.ts";
import type { RedisEvent, RedisKeyCounts } from "./redis/storage.ts";

export type { ApplyEntry } from "./entry_revision.ts";

export class KvStateMachine {
  #meta: StoreMeta;
  readonly #events = new EventQueue<KvEvent>();
  readonly compactor: HistoryCompactor;
  /** Removes dead Redis collections' members in the background (node-local). */
  readonly garbage: GarbageCollector;
  /** The node's wall clock (Unix ms), for reads only (docs/decisions/0009-key-expiry.md). */
  wallClock: () => number = () => 0;
  /** Closed without a log entry: every change at or below it is here (close_without_entry.ts). */
  closedRevision = 0;

  private constructor(
    readonly db: Db,
    meta: StoreMeta,
    readonly sessions: Sessions,
    readonly leaseTable: LeaseTable,
    /** The region's local keys: every region-local read and write takes them from here. */
    readonly region: RegionKeys,
    /** The history it reads and compacts: its own keys, in its own and its ancestors' feeds. */
    readonly history: HistoryView,
  ) {
    this.#meta = meta;
    this.compactor = new HistoryCompactor(db, history);
    if (meta.compacted > 0) this.compactor.request(meta.compacted);
    this.garbage = new GarbageCollector(db, region);
    this.garbage.start(); // resumes what an earlier run or the snapshot's sender left
  }

  /** Opens over an engine: the region's applied index, revisions, client sessions; leases. */
  static async open(db: Db, sessions = new Sessions(), o: KvOptions = {}): Promise<KvStateMachine> {
    const region = regionKeys(o.regionId ?? DEFAULT_REGION_ID);
    const meta = await openMeta(db, sessions, region), leases = await LeaseTable.load(db, o.span);
    const history = openHistoryView(db, region, o.span);
    return new KvStateMachine(db, meta, sessions, leases, region, history);
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

  /** The engine's revision now, for a current read in the same turn (`revision` may lag it). */
  get visibleRevision(): number {
    return engineRevision(this.db, this.region);
  }

  /** Reads and watches below this revision answer COMPACTED. */
  get compactedRevision(): number {
    return this.#meta.compacted;
  }

  /** Reads treat keys expired by this time as absent (docs/decisions/0009-key-expiry.md). */
  get readNow(): number {
    return Math.max(this.wallClock(), this.#meta.now);
  }

  leaseKeys(id: number): Promise<Uint8Array[]> {
    return attachedKeys(this.db, id);
  }

  /** Events applied since the last call, in revision order (all durable in the engine). */
  drainEvents(): KvEvent[] {
    return this.#events.drain();
  }
  /** Events of an `applyOwn` pass (a transaction's commit), published with its write. */
  addEvents = (events: readonly KvEvent[]): void => this.#events.add(events);

  /**
   * Applies committed entries in log order, skipping those at or below the applied index;
   * returns each command entry's encoded outcome (a ClientResponse without request id).
   */
  async apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>> {
    const outcomes = new Map<number, Uint8Array>();
    const ws = new WriteSet(this.db, this.region, this.history.span);
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
        const command = e.decoded ?? decodeCommand(e.data);
        // The replicated clock: the proposer's time, never behind the last applied one.
        const now = "body" in command ? commandNow(command, pass.now) : pass.now;
        let prepared: Prepared | undefined;
        if ("body" in command && needsEngine(command) && this.sessions.isNew(command)) {
          // A command that reads the engine first sees every earlier entry there.
          if (last > this.#meta.applied) pass = await this.#commit(ws, last, pass);
          const revision = entryRevision(e, pass.revision);
          prepared = await prepare(command, ws, this.leaseTable, this.db, revision, now);
        }
        pass = { ...pass, now };
        const result = this.#applyOne(e, command, ws, pass, prepared);
        pass = result.pass;
        outcomes.set(e.index, result.outcome);
      }
      last = e.index;
      if (e.barrier) pass = { ...pass, revision: entryRevision(e, pass.revision) };
      for (const w of e.writes ?? []) {
        if (w.value === null) ws.delete(w.key);
        else ws.put(w.key, w.value);
      }
      if (ws.bytes >= APPLY_BATCH_BYTES_MAX || ws.size >= APPLY_BATCH_OPS_MAX) {
        pass = await this.#commit(ws, last, pass);
      }
    }
    if (last > this.#meta.applied) await this.#commit(ws, last, pass);
    return outcomes;
  }

  /** Applies entry `index` as one batch `build` fills (a region command: region_apply.ts). */
  async applyOwn(index: number, build: (ws: WriteSet, meta: StoreMeta) => StoreMeta) {
    assert(index === this.#meta.applied + 1, `apply ${index} after ${this.#meta.applied}`);
    const ws = new WriteSet(this.db, this.region, this.history.span);
    await this.#commit(ws, index, build(ws, { ...this.#meta }));
  }

  async #commit(ws: WriteSet, applied: number, pass: StoreMeta): Promise<StoreMeta> {
    // The applied index only grows: replicas and restarts re-apply from it.
    assert(applied > this.#meta.applied, `applied index ${applied} after ${this.#meta.applied}`);
    this.sessions.flush(ws);
    const next = { ...pass, applied, keyCount: pass.keyCount + ws.keysDelta };
    assert(next.keyCount >= 0, `region ${this.region.id}: key count went negative at ${applied}`);
    writeMeta(ws, next, this.#meta);
    const ops = ws.ops();
    await this.db.write(ops);
    ws.clear();
    this.#meta = next;
    this.#events.publish();
    this.#redisEvents.publish();
    this.compactor.request(next.compacted);
    this.garbage.afterWrite(ops);
    return { ...next };
  }

  readonly #redisEvents = new EventQueue<RedisEvent>(); // PUBLISH and keyspace events
  /** Whether this node has pub/sub subscribers (else PUBLISH and keyspace events are dropped). */
  redisEventsWanted = false;

  /** PUBLISH messages and keyspace events applied since the last call, in log order. */
  drainRedisEvents(): RedisEvent[] {
    return this.#redisEvents.drain();
  }

  /** Every region's key counts (one engine), set by a node holding many for its Redis reads. */
  acrossRegions: RedisKeyCounts | undefined;
  /** Keys of Redis database `db` as of the applied index (expired keys count until swept). */
  redisKeyCount(db: number): number {
    return this.#meta.redisKeys[db] + (db === 0 ? this.#meta.keyCount : 0);
  }

  #applyOne(
    e: ApplyEntry,
    command: ReturnType<typeof decodeCommand>,
    ws: WriteSet,
    pass: StoreMeta,
    prepared: Prepared | undefined,
  ): { outcome: Uint8Array; pass: StoreMeta } {
    if (!("body" in command)) {
      const code = command.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
      return { outcome: encodeOutcome(failure(code, command.message)), pass };
    }
    const index = e.index;
    // decodeCommand validated every 64-bit field (util/ids.ts): these cannot throw.
    const clientId = u64ToNumber(command.clientId, "client id");
    const sequence = u64ToNumber(command.sequence, "sequence");
    const run = (): { outcome: Uint8Array; pass: StoreMeta } => {
      const revision = entryRevision(e, pass.revision);
      const w = new RevisionWriter(ws, revision, this.leaseTable, pass.now);
      const outcome = runCommand(command, index, w, pass, prepared);
      const next = { ...pass, ...outcome.meta, ...(w.changed ? { revision } : {}) };
      this.#events.add(w.events);
      if (outcome.redisEvents !== undefined && this.redisEventsWanted) {
        this.#redisEvents.add(outcome.redisEvents);
      }
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
    const s = raw === undefined ? undefined : decodeCurrent(key, raw);
    return s === undefined || isExpired(s, this.readNow) ? undefined : s;
  }

  /** What a read at a past revision may see: the bounds and the read time. */
  #bounds(): ReadBounds {
    const visible = Math.max(this.visibleRevision, this.closedRevision);
    return { visible, compacted: this.#meta.compacted, now: this.readNow };
  }

  /** The key as of `revision`. */
  getAt(key: Uint8Array, revision: number): Promise<KeyState | undefined> {
    return keyAt(this.db, this.history, key, revision, this.#bounds());
  }

  /** Keys of `range` as of `revision`, after `after`, up to `limit`. */
  rangeAt(range: KeyRange, revision: number, limit: number, after?: Uint8Array) {
    return keysAt(this.db, this.history, { range, revision, limit, after }, this.#bounds());
  }

  /** One page of a scan, now or as of `request.revision`. */
  async scan(request: KvScanRequest): Promise<KvScanPage> {
    const revision = request.revision ?? 0;
    // Read in the turn the scan pins the engine (a pass's batch shows before its write ends).
    const visible = this.visibleRevision;
    if (revision === 0 || revision === visible) {
      return { ...(await scanPage(this.db, request, this.readNow)), revision: visible };
    }
    const limit = Math.min(request.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
    const { range, after } = scanRange(request);
    const { states, more } = await this.rangeAt(range, revision, limit, after);
    const last = states[states.length - 1];
    return { items: states, nextCursor: more ? last?.key : undefined, revision };
  }

  /** Changes to `range` from revision `from` on, in revision order (for watches). */
  async readHistory(from: number, range: KeyRange, o: HistoryOptions): Promise<HistoryPage> {
    if (from < this.#meta.compacted) throw new CompactedError(from, this.#meta.compacted);
    return await readChangesPinned(this.db, this.history, from, this.#meta.revision, range, o);
  }
}

export type { KeyState, KvOptions };
