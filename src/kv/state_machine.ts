/**
 * The replicated state machine: applies committed Raft entries to the
 * storage engine, which runs with its own WAL off (docs/design.md §2.4): the Raft log
 * is the write-ahead log, and the applied index is written in the same atomic
 * engine batch as the data, so after a crash the engine and its applied index
 * agree and the node re-applies the log from there.
 *
 * Apply passes write one engine batch per pass (split when it grows past
 * APPLY_BATCH_*). An engine write failure leaves memory ahead of the engine,
 * so it is fatal for the node: the error propagates and the node stops.
 */
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { APPLY_BATCH_BYTES_MAX, APPLY_BATCH_OPS_MAX } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { assert } from "../util/assert.ts";
import { u64ToNumber } from "../util/ids.ts";
import { applyCommand, failure } from "./apply.ts";
import { decodeCommand } from "./command_codec.ts";
import {
  APPLIED_KEY,
  dataKey,
  decodeApplied,
  decodeSession,
  decodeStored,
  encodeApplied,
  KEY_COUNT_KEY,
  parseSessionKey,
  SESSION_PREFIX,
} from "./keyspace.ts";
import { type MemberAddressWrite, memberWriteOp } from "./members.ts";
import { encodeOutcome } from "./outcome_codec.ts";
import { Sessions } from "./sessions.ts";
import { WriteSet } from "./write_set.ts";

/** A committed entry to apply; `data` is null for entries without a command. */
export interface ApplyEntry {
  readonly index: number;
  readonly data: Uint8Array | null;
  /** Address-book changes a membership entry makes (written in the same batch). */
  readonly members?: readonly MemberAddressWrite[];
}

export interface StoredValue {
  readonly value: Uint8Array;
  /** Raft index of the write that stored it. */
  readonly version: number;
}

export class KvStateMachine {
  #appliedIndex: number;
  #keyCount: number;

  private constructor(
    readonly db: Db,
    appliedIndex: number,
    keyCount: number,
    readonly sessions: Sessions,
  ) {
    this.#appliedIndex = appliedIndex;
    this.#keyCount = keyCount;
  }

  /** Opens over an engine, reading its applied index and client sessions. */
  static async open(db: Db, sessions = new Sessions()): Promise<KvStateMachine> {
    const raw = db.get(APPLIED_KEY);
    const applied = raw === undefined ? 0 : decodeApplied(raw);
    const rawCount = db.get(KEY_COUNT_KEY);
    const keyCount = rawCount === undefined ? 0 : decodeApplied(rawCount);
    const heads: Parameters<Sessions["load"]>[0] = [];
    const legacy: { clientId: number; sequence: number; outcome: Uint8Array }[] = [];
    for await (const [key, value] of db.scan({ prefix: SESSION_PREFIX })) {
      const k = parseSessionKey(key);
      if (k.sequence === undefined) heads.push({ clientId: k.clientId, ...decodeSession(value) });
      else legacy.push({ clientId: k.clientId, sequence: k.sequence, outcome: value });
    }
    sessions.load(heads, legacy);
    return new KvStateMachine(db, applied, keyCount, sessions);
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Number of user keys as of the applied index. */
  get keyCount(): number {
    return this.#keyCount;
  }

  /**
   * Applies committed entries in log order; entries at or below the applied
   * index (replayed after a restart) are skipped. Returns the encoded outcome
   * (a ClientResponse without request id) of each command entry by index.
   */
  async apply(entries: readonly ApplyEntry[]): Promise<Map<number, Uint8Array>> {
    const outcomes = new Map<number, Uint8Array>();
    const ws = new WriteSet(this.db);
    let last = this.#appliedIndex;
    for (const e of entries) {
      if (e.index <= this.#appliedIndex) continue;
      assert(e.index === last + 1, `apply gap: entry ${e.index} after ${last}`);
      last = e.index;
      if (e.data !== null) outcomes.set(e.index, this.#applyOne(e.index, e.data, ws));
      for (const m of e.members ?? []) {
        const op = memberWriteOp(m);
        if (op.value === null) ws.delete(op.key);
        else ws.put(op.key, op.value);
      }
      if (ws.bytes >= APPLY_BATCH_BYTES_MAX || ws.size >= APPLY_BATCH_OPS_MAX) {
        await this.#commit(ws, last);
      }
    }
    if (last > this.#appliedIndex) await this.#commit(ws, last);
    return outcomes;
  }

  async #commit(ws: WriteSet, applied: number): Promise<void> {
    // The applied index only grows: replicas and restarts re-apply from it.
    assert(applied > this.#appliedIndex, `applied index ${applied} after ${this.#appliedIndex}`);
    this.sessions.flush(ws);
    const keyCount = this.#keyCount + ws.keysDelta;
    assert(keyCount >= 0, `key count went negative at ${applied}`);
    ws.put(APPLIED_KEY, encodeApplied(applied));
    ws.put(KEY_COUNT_KEY, encodeApplied(keyCount));
    await this.db.write(ws.ops());
    ws.clear();
    this.#appliedIndex = applied;
    this.#keyCount = keyCount;
  }

  #applyOne(index: number, data: Uint8Array, ws: WriteSet): Uint8Array {
    const command = decodeCommand(data);
    if (!("body" in command)) {
      const code = command.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
      return encodeOutcome(failure(code, command.message));
    }
    // decodeCommand validated every 64-bit field (util/ids.ts): these cannot throw.
    const clientId = u64ToNumber(command.clientId, "client id");
    const sequence = u64ToNumber(command.sequence, "sequence");
    if (clientId === 0 || sequence === 0) return encodeOutcome(applyCommand(command, index, ws));
    const seen = this.sessions.lookup(clientId, sequence);
    if (seen.kind === "saved") return seen.outcome;
    if (seen.kind === "forgotten") {
      return encodeOutcome(
        failure(ErrorCode.INVALID_ARGUMENT, `sequence ${sequence} was acknowledged`),
      );
    }
    const outcome = encodeOutcome(applyCommand(command, index, ws));
    const ackedSequence = u64ToNumber(command.ackedSequence, "acked sequence");
    this.sessions.record({ clientId, sequence, ackedSequence, index }, outcome, ws);
    return outcome;
  }

  /** The stored value and version of a user key, from local state. */
  get(key: Uint8Array): StoredValue | undefined {
    const raw = this.db.get(dataKey(key));
    return raw === undefined ? undefined : decodeStored(raw);
  }
}
