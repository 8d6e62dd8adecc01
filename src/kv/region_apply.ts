/**
 * A region's KV state machine with its descriptor (docs/regions.md "The split command"): it
 * applies the region's log, ordinary commands through KvStateMachine and region commands
 * (region_command.ts) itself:
 *
 * - `Split`: refused with an outcome (never a crash) when the epoch is not the current one, the
 *   region id is another's, the key is not strictly inside the range, or the replicas are not a
 *   valid set; else one batch writes both descriptors (version + 1), the storage-level split
 *   (region_split.ts) and the recounted counters; `onSplit` tells the host.
 * - `Routed`: refused when its epoch is stale or a key is outside the range (routed_check.ts), as
 *   is a node's plain command after a split; otherwise applied as the command it carries.
 * - `Txn`: a Percolator write, applied by region_txn_apply.ts in a batch of its own.
 * - The merge's commands (region_merge_run.ts); a merge's prepared source serves nothing.
 *
 * Every check reads only replicated state (the descriptor and the entry), so every replica
 * decides alike. Reads check their key with `checkRead` before they are served.
 */
import type { Sessions } from "./sessions.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import {
  containsKey,
  isStaleEpoch,
  type RegionDescriptor,
  type RegionEpoch,
  splitDescriptor,
} from "../region/descriptor.ts";
import { toBytes } from "../util/bytes.ts";
import { checkRouted, plainRefusal } from "./routed_check.ts";
import { isBarrier } from "./entry_revision.ts";
import { written } from "./apply.ts";
import { encodeOutcome } from "./outcome_codec.ts";
import { regionHoldsLocks, routedLockRefusal } from "./region_txn_locks.ts";
import { splitRefusal } from "./region_split_refusal.ts";
import {
  decodeRegionCommand,
  encodeRegionOutcome,
  isRegionEntry,
  malformed,
  type RegionOutcome,
  type SplitCommand,
  type TxnCommand,
} from "./region_command.ts";
import { descriptorKey, encodeDescriptor, readDescriptor } from "./region_descriptor_record.ts";
import { readImportMarker } from "./region_import_marker.ts";
import { splitRegion } from "./region_split.ts";
import { applyTxnCommand } from "./region_txn_apply.ts";
import { childLineage, encodeLineage, lineageKey } from "./region_lineage.ts";
import { type ApplyEntry, KvStateMachine } from "./state_machine.ts";
import { type MergeState, readMergeState } from "./region_merge_state.ts";
import type { CarriedEntry, MergeCommand, SourceMembers } from "./region_merge_command.ts";
import { applyMergeCommand, type MergeReport } from "./region_merge_run.ts";

/** A committed entry of the region's log. */
export type RegionEntry = ApplyEntry;

/** What a host learns when its region split: it adds the child replica (`right`). */
export interface SplitReport {
  readonly left: RegionDescriptor;
  readonly right: RegionDescriptor;
  /** The split's index: the child's applied index and its log's first position. */
  readonly index: number;
  readonly revision: number; // the parent's at the split, where the child's lineage starts
}

/** Descriptors set in any region of the process (never edited): server/node/region_order.ts. */
let descriptorsReplaced = 0;
export const descriptorReplacements = (): number => descriptorsReplaced;

export class RegionKv {
  #descriptor: RegionDescriptor;
  /** Called after a split's batch is written (durable at the engine's next flush, or replayed). */
  onSplit: (report: SplitReport) => void = () => {};
  /** A node's region 1: a plain command after its first split is refused (routed_check.ts). */
  refusesPlainAfterSplit = false;
  /** The source's merge record (region_merge_state.ts): set, the region serves nothing. */
  #merge: MergeState | undefined;
  /**
   * Whether the region's range holds a transaction's lock: read once, kept across applies, and
   * read again after any entry other than a routed command (a `Txn` entry is the only writer of
   * locks; a merge widens the range). A region without locks, the usual case, checks no
   * command's keys against them. An image reopens the region.
   */
  #holdsLocks: boolean | undefined;
  /** The host's replica of region `id` here, and its log's entries [from, to] (or none). */
  mergeSource: (id: number) => RegionKv | undefined = () => undefined;
  mergeSourceEntries: (id: number, from: number, to: number) => CarriedEntry[] = () => [];
  /** What the membership changes of a lagging source's tail do to it (region_merge_catch_up). */
  mergeSourceMembers: SourceMembers = () => new Map();
  /** Called after a merge command's batch is written (the host stops or drops the source). */
  onMerge: (report: MergeReport) => void = () => {};

  private constructor(
    readonly kv: KvStateMachine,
    descriptor: RegionDescriptor,
    /** An uninitialized replica (applied index 0, no data): it waits for a region snapshot. */
    readonly awaitingSnapshot: boolean,
  ) {
    this.#descriptor = descriptor;
    descriptorsReplaced++;
    this.#merge = readMergeState(kv.db, descriptor.id);
  }

  /**
   * Opens region `regionId` of the engine; `voters` name region 1's replicas when the store
   * has no descriptor record yet (a store from before splits).
   */
  static async open(
    db: Db,
    regionId: number,
    o: { sessions?: Sessions; voters?: readonly number[] } = {},
  ): Promise<RegionKv> {
    const descriptor = readDescriptor(db, regionId, o.voters);
    if (descriptor === undefined) throw new Error(`region ${regionId} is not on this engine`);
    const awaiting = readImportMarker(db, regionId)?.state === "awaiting";
    const kv = await KvStateMachine.open(db, o.sessions, { regionId, span: descriptor });
    return new RegionKv(kv, descriptor, awaiting);
  }

  /**
   * A region over a state machine the host opened itself (the node's region 1, whose engine a
   * snapshot can replace): `descriptor` is the one the state machine last applied.
   */
  static wrap(kv: KvStateMachine, descriptor: RegionDescriptor): RegionKv {
    return new RegionKv(kv, descriptor, false);
  }

  get descriptor(): RegionDescriptor {
    return this.#descriptor;
  }

  get appliedIndex(): number {
    return this.kv.appliedIndex;
  }

  #replace(d: RegionDescriptor): void {
    if (d !== this.#descriptor) descriptorsReplaced++; // region 1's is adopted on each use
    this.#descriptor = d;
  }

  /** The region's merge record: prepared (frozen as a merge's source) or merged away. */
  get merge(): MergeState | undefined {
    return this.#merge;
  }

  /** Sets what a merge command's batch wrote (region_merge_run.ts), on target or source. */
  mergeApplied(d: RegionDescriptor, merge: MergeState | undefined): void {
    if (d.id === this.#descriptor.id) this.#replace(d);
    this.#merge = merge;
    this.kv.history.span = { start: this.#descriptor.start, end: this.#descriptor.end };
  }

  /**
   * A membership change of this region was applied (the host writes the descriptor record in the
   * change's batch: server/node/region_members.ts): splits proposed from now carry its epoch.
   */
  adopt(d: RegionDescriptor): void {
    if (d.id === this.#descriptor.id) this.#replace(d);
  }

  /** Why a read of `key` (routed with `epoch`, when given) cannot be served here, if it can't. */
  checkRead(key: Uint8Array, epoch?: RegionEpoch): RegionOutcome | undefined {
    const d = this.#descriptor;
    if (this.#merge !== undefined) return { kind: "epoch-not-match", current: d };
    if (epoch !== undefined && isStaleEpoch(epoch, d.epoch)) {
      return { kind: "epoch-not-match", current: d };
    }
    return containsKey(d, key) ? undefined : { kind: "key-not-in-region", key, region: d };
  }

  /** Applies committed entries in order; returns each command entry's encoded outcome. */
  async apply(entries: readonly RegionEntry[]): Promise<Map<number, Uint8Array>> {
    const outcomes = new Map<number, Uint8Array>();
    let run: ApplyEntry[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      for (const [i, o] of await this.kv.apply(run)) outcomes.set(i, o);
      run = [];
    };
    for (const e of entries) {
      if (e.index <= this.kv.appliedIndex) continue; // replayed after a restart
      if (e.data === null || !isRegionEntry(e.data)) {
        run.push(this.#plain(e, outcomes));
        continue;
      }
      let command;
      try {
        command = decodeRegionCommand(e.data);
      } catch (err) {
        outcomes.set(e.index, encodeRegionOutcome(malformed(err)));
        run.push({ ...e, data: null });
        continue;
      }
      if (command.kind === "routed") {
        const { refused, decoded } = checkRouted(
          this.#descriptor,
          this.#merge !== undefined,
          command,
        );
        if (refused !== undefined) outcomes.set(e.index, encodeRegionOutcome(refused));
        const timestamp = command.timestamp;
        const locked = refused === undefined &&
            (this.#holdsLocks ??= regionHoldsLocks(this.kv.db, this.#descriptor))
          ? routedLockRefusal(this.kv.db, command)
          : undefined;
        if (locked !== undefined) {
          outcomes.set(e.index, encodeOutcome(locked));
          run.push({ ...e, data: null, timestamp });
          continue;
        }
        if (refused === undefined && isBarrier(command)) {
          // A timestamp barrier (decision 0018): no command, only the region's revision moves.
          outcomes.set(e.index, encodeOutcome(written(e.index)));
          run.push({ ...e, data: null, timestamp, barrier: true });
          continue;
        }
        run.push({
          ...e,
          data: refused === undefined ? command.command : null,
          timestamp,
          decoded,
        });
        continue;
      }
      await flush();
      this.#holdsLocks = undefined;
      const outcome = command.kind === "txn"
        ? await this.#txn(e, command)
        : command.kind === "split"
        ? await this.#split(e, command)
        : await this.#mergeCommand(e, command, outcomes);
      outcomes.set(e.index, encodeRegionOutcome(outcome));
    }
    await flush();
    return outcomes;
  }

  /** A plain entry as the state machine applies it: refused (no data) when frozen or late. */
  #plain(e: RegionEntry, outcomes: Map<number, Uint8Array>): ApplyEntry {
    const late = this.refusesPlainAfterSplit;
    const refused = plainRefusal(this.#descriptor, this.#merge !== undefined, late, e.data);
    if (refused === undefined) return e;
    outcomes.set(e.index, refused);
    return { ...e, data: null };
  }

  /** A merge's source serves nothing from its prepare on (region_merge_apply.ts). */
  #frozen(): RegionOutcome {
    return { kind: "epoch-not-match", current: this.#descriptor };
  }

  async #txn(e: RegionEntry, c: TxnCommand): Promise<RegionOutcome> {
    if (this.#merge === undefined) return applyTxnCommand(this.kv, this.#descriptor, e.index, c);
    await this.kv.apply([{ index: e.index, data: null, writes: e.writes }]);
    return this.#frozen();
  }

  async #mergeCommand(e: RegionEntry, c: MergeCommand, before: Map<number, Uint8Array>) {
    const { outcome, report } = await applyMergeCommand(this, e, c, before);
    if (report !== undefined) this.onMerge(report);
    return outcome;
  }

  async #split(e: RegionEntry, c: SplitCommand): Promise<RegionOutcome> {
    const leases = this.kv.leaseTable.size, merging = this.#merge !== undefined;
    const refused = splitRefusal(this.kv.db, this.#descriptor, c, merging, leases);
    if (refused !== undefined) {
      await this.kv.apply([{ index: e.index, data: null, writes: e.writes }]);
      return refused;
    }
    const parent = { ...this.#descriptor, replicas: c.replicas };
    const [left, right] = splitDescriptor(parent, c.splitKey, c.newRegionId);
    const plan = {
      parent: parent.id,
      child: right.id,
      span: { start: parent.start, end: parent.end },
      splitKey: c.splitKey,
      index: e.index,
    };
    await this.kv.applyOwn(e.index, (ws, meta) => {
      const ops: WriteOp[] = [];
      const counts = splitRegion(this.kv.db, plan, ops, { keys: meta.keyCount, ...meta });
      for (const op of ops) {
        if (op.type === "put") ws.put(toBytes(op.key), toBytes(op.value));
        else ws.delete(toBytes(op.key));
      }
      // Past versions of the child's keys stay in the parent's feed (and its ancestors'): the
      // child reads them there at or below this revision (docs/regions.md, region_lineage.ts).
      const lineage = childLineage(parent.id, meta.revision, this.kv.history.lineage);
      ws.put(lineageKey(right.id), encodeLineage(lineage));
      ws.put(descriptorKey(left.id), encodeDescriptor(left));
      ws.put(descriptorKey(right.id), encodeDescriptor(right));
      return { ...meta, keyCount: counts.left.keys, redisKeys: counts.left.redisKeys };
    });
    this.#replace(left);
    this.kv.history.span = { start: left.start, end: left.end }; // the child owns the rest now
    this.kv.leaseTable.recount(this.kv.db, this.kv.history.span); // and counts its leased keys
    this.onSplit({ left, right, index: e.index, revision: this.kv.revision });
    return { kind: "split", left, right };
  }
}
