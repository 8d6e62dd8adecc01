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
  decodeCurrent,
  encodeCurrent,
  encodeHistory,
  encodeIndexEntry,
} from "./key_record.ts";
import { deletedState, isExpired, type KeyState, type KvEvent } from "./key_state.ts";
import type { LeaseTable } from "./lease_table.ts";
import { indexKey } from "./mvcc_keys.ts";
import type { WriteSet } from "./write_set.ts";

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
    if (key === this.#lastKey && this.ws.writes === this.#lastWrites) return this.#last;
    const raw = this.ws.get(dataKey(key));
    const s = raw === undefined ? undefined : decodeCurrent(key, raw);
    this.#lastKey = key;
    this.#lastWrites = this.ws.writes;
    this.#last = s;
    return s;
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
    this.ws.put(dataKey(key), encodeCurrent(state), old !== undefined);
    this.#record(ChangeType.Put, state);
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
    this.ws.delete(dataKey(key));
    this.#record(ChangeType.Delete, state);
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

  #record(type: ChangeType, state: KeyState): void {
    const sub = this.#sub++;
    this.ws.put(this.ws.region.history(this.revision, sub), encodeHistory(type, state));
    this.ws.put(indexKey(state.key, this.revision), encodeIndexEntry(type, sub));
  }
}
