/**
 * The changes one command makes, all at one revision (the command's Raft index):
 * each put or delete rewrites the key's current record, appends a history
 * record and a key index entry, keeps lease attachments and the expiry index
 * in step, and becomes an event for watchers. Everything goes through the apply
 * pass's WriteSet, so it lands in the engine atomically with the applied index.
 *
 * `now` is the command's replicated time (docs/decisions/0009-key-expiry.md):
 * a key whose expiry is at or before it is absent for the command (`current`),
 * though its record stays until an expire_keys command deletes it (`stored`).
 */
import { dataKey } from "./keyspace.ts";
import {
  ChangeType,
  currentRecord,
  decodeCurrent,
  encodeIndexEntry,
  historyRecord,
} from "./key_record.ts";
import { deletedState, isExpired, type KeyState, type KvEvent } from "./key_state.ts";
import type { LeaseTable } from "./lease_table.ts";
import { indexKey } from "./mvcc_keys.ts";
import { mapKey, type WriteSet } from "./write_set.ts";

const EMPTY = new Uint8Array(0);

/** Attaching keys to leases and detaching them (LeaseTable, or a staged count). */
export interface LeaseAttachments {
  attach(id: number, key: Uint8Array, ws: WriteSet): void;
  detach(id: number, key: Uint8Array, ws: WriteSet): void;
}

export class RevisionWriter {
  #sub = 0;
  readonly events: KvEvent[] = [];
  /**
   * The last record `stored` read, for the same key object while the set saw no write:
   * a SET reads its key to decide (NX, XX, GET) and again to write it; the second read
   * would look the key up in every staged set and the engine once more.
   */
  #lastKey: Uint8Array | undefined;
  #lastWrites = -1;
  #last: KeyState | undefined;
  /** The engine key of that read and its map key, for the put that follows it. */
  #lastDataKey: Uint8Array = EMPTY;
  #lastId = "";
  /** Whether that read found the key among the pass's writes (else the pass never wrote it). */
  #lastPending = true;

  constructor(
    readonly ws: WriteSet,
    readonly revision: number,
    readonly leases: LeaseTable,
    /** The command's replicated time, Unix ms. */
    readonly now = 0,
    /** Where puts and deletes attach and detach keys (a staged set counts them aside). */
    readonly attachments: LeaseAttachments = leases,
  ) {}

  /**
   * A writer over a staged set on top of ours, numbering its changes after ours: several
   * staged requests in one entry (a RedisBatch) keep distinct history records.
   */
  stage(ws: WriteSet, attachments: LeaseAttachments): RevisionWriter {
    const w = new RevisionWriter(ws, this.revision, this.leases, this.now, attachments);
    w.#sub = this.#sub;
    return w;
  }

  /** Takes the changes a writer over a staged set made, once that set was merged into ours. */
  absorb(staged: RevisionWriter): void {
    this.#sub = Math.max(this.#sub, staged.#sub);
    for (const e of staged.events) this.events.push(e);
  }

  /**
   * Numbers this writer's changes from `sub` on: a revision written in more than one entry (a
   * transaction's commit timestamp, region_txn_keyspace.ts) keeps distinct history records.
   */
  from(sub: number): this {
    this.#sub = Math.max(this.#sub, sub);
    return this;
  }

  /** Whether the command changed any key (and so moves the store's revision). */
  get changed(): boolean {
    return this.#sub > 0;
  }

  /** The key's current state, including this pass's earlier changes; expired keys are absent. */
  current(key: Uint8Array): KeyState | undefined {
    const s = this.stored(key);
    return s === undefined || isExpired(s, this.now) ? undefined : s;
  }

  /** The key's record, expired or not. */
  stored(key: Uint8Array): KeyState | undefined {
    if (this.#readIsCurrent(key)) return this.#last;
    const k = dataKey(key), id = mapKey(k);
    const raw = this.ws.getById(id, k);
    const s = raw === undefined ? undefined : decodeCurrent(key, raw);
    this.#lastKey = key;
    this.#lastWrites = this.ws.writes;
    this.#last = s;
    this.#lastDataKey = k;
    this.#lastId = id;
    this.#lastPending = this.ws.lastGetPending;
    return s;
  }

  /**
   * Whether this is the key's first change at this revision, as far as the last `stored`
   * read shows (false when unsure): its record is older, or absent and never written in this
   * pass. Only then is its key index entry (key, revision) sure to be new.
   */
  #firstChange(key: Uint8Array): boolean {
    if (!this.#readIsCurrent(key)) return false;
    const s = this.#last;
    return s === undefined ? !this.#lastPending : s.modRevision !== this.revision;
  }

  /** Whether the last `stored` read was of `key` and nothing was written since. */
  #readIsCurrent(key: Uint8Array): boolean {
    return key === this.#lastKey && this.ws.writes === this.#lastWrites;
  }

  /**
   * Stores `value` at `key`, attached to `lease` (0: none; the caller checked
   * it exists), expiring at `expireAtMs` (0: never). `prev` is the key's
   * current state when the caller has it; an expired record is replaced as if
   * absent (the put creates the key anew).
   */
  put(
    key: Uint8Array,
    value: Uint8Array,
    lease: number,
    prev = this.current(key),
    expireAtMs = 0,
  ): KeyState {
    const revision = this.revision;
    const state: KeyState = {
      key,
      value,
      createRevision: prev?.createRevision ?? revision,
      modRevision: revision,
      version: (prev?.version ?? 0) + 1,
      lease,
      expireAtMs,
    };
    const old = prev ?? this.stored(key);
    const first = this.#firstChange(key);
    if (this.#readIsCurrent(key)) {
      this.ws.put(this.#lastDataKey, currentRecord(state), old !== undefined, this.#lastId);
    } else this.ws.put(dataKey(key), currentRecord(state), old !== undefined);
    this.#record(ChangeType.Put, state, first);
    if (old !== undefined && old.lease !== 0 && old.lease !== lease) {
      this.attachments.detach(old.lease, key, this.ws);
    }
    if (lease !== 0 && old?.lease !== lease) this.attachments.attach(lease, key, this.ws);
    this.#index(key, old?.expireAtMs ?? 0, expireAtMs);
    this.events.push(
      prev === undefined ? { type: "put", kv: state } : { type: "put", kv: state, prev },
    );
    return state;
  }

  /**
   * Deletes `key`; returns its state before, or undefined when it did not
   * exist. `prev` defaults to the current (unexpired) state: pass the stored
   * one to delete an expired key.
   */
  delete(key: Uint8Array, prev = this.current(key)): KeyState | undefined {
    if (prev === undefined) return undefined;
    const state = deletedState(key, this.revision);
    const first = this.#firstChange(key);
    this.ws.delete(dataKey(key));
    this.#record(ChangeType.Delete, state, first);
    if (prev.lease !== 0) this.attachments.detach(prev.lease, key, this.ws);
    this.#index(key, prev.expireAtMs, 0);
    this.events.push({ type: "delete", kv: state, prev });
    return prev;
  }

  /** Keeps the expiry index (0x07) in step with the key's expiry. */
  #index(key: Uint8Array, before: number, after: number): void {
    if (before === after) return;
    if (before !== 0) this.ws.delete(this.ws.region.expiry(before, key));
    if (after !== 0) this.ws.put(this.ws.region.expiry(after, key), EMPTY);
  }

  /**
   * The change's history record (a new revision and number: written once) and key index
   * entry: new too on the key's first change at this revision, else it replaces the entry an
   * earlier change of the key at this revision wrote (the index points at the last one).
   */
  #record(type: ChangeType, state: KeyState, first: boolean): void {
    const sub = this.#sub++;
    this.ws.putFresh(this.ws.region.history(this.revision, sub), historyRecord(type, state));
    const index = indexKey(state.key, this.revision), entry = encodeIndexEntry(type, sub);
    if (first) this.ws.putFresh(index, entry);
    else this.ws.replaceFresh(index, entry);
  }
}
