/**
 * The changes one command makes, all at one revision (the command's Raft index):
 * each put or delete rewrites the key's current record, appends a history
 * record and a key index entry, keeps lease attachments in step, and becomes
 * an event for watchers. Everything goes through the apply pass's WriteSet, so
 * it lands in the engine atomically with the applied index.
 */
import { dataKey } from "./keyspace.ts";
import {
  ChangeType,
  decodeCurrent,
  encodeCurrent,
  encodeHistory,
  encodeIndexEntry,
} from "./key_record.ts";
import { deletedState, type KeyState, type KvEvent } from "./key_state.ts";
import type { LeaseTable } from "./lease_table.ts";
import { historyKey, indexKey } from "./mvcc_keys.ts";
import type { WriteSet } from "./write_set.ts";

export class RevisionWriter {
  #sub = 0;
  readonly events: KvEvent[] = [];

  constructor(
    readonly ws: WriteSet,
    readonly revision: number,
    readonly leases: LeaseTable,
  ) {}

  /** Whether the command changed any key (and so moves the store's revision). */
  get changed(): boolean {
    return this.#sub > 0;
  }

  /** The key's current state, including this pass's earlier changes. */
  current(key: Uint8Array): KeyState | undefined {
    const raw = this.ws.get(dataKey(key));
    return raw === undefined ? undefined : decodeCurrent(key, raw);
  }

  /**
   * Stores `value` at `key`, attached to `lease` (0: none; the caller checked
   * it exists). `prev` is the key's current state when the caller has it.
   */
  put(key: Uint8Array, value: Uint8Array, lease: number, prev = this.current(key)): KeyState {
    const revision = this.revision;
    const state: KeyState = {
      key,
      value,
      createRevision: prev?.createRevision ?? revision,
      modRevision: revision,
      version: (prev?.version ?? 0) + 1,
      lease,
    };
    this.ws.put(dataKey(key), encodeCurrent(state), prev !== undefined);
    this.#record(ChangeType.Put, state);
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease) {
      this.leases.detach(prev.lease, key, this.ws);
    }
    if (lease !== 0 && prev?.lease !== lease) this.leases.attach(lease, key, this.ws);
    this.events.push(
      prev === undefined ? { type: "put", kv: state } : { type: "put", kv: state, prev },
    );
    return state;
  }

  /** Deletes `key`; returns its state before, or undefined when it did not exist. */
  delete(key: Uint8Array, prev = this.current(key)): KeyState | undefined {
    if (prev === undefined) return undefined;
    const state = deletedState(key, this.revision);
    this.ws.delete(dataKey(key));
    this.#record(ChangeType.Delete, state);
    if (prev.lease !== 0) this.leases.detach(prev.lease, key, this.ws);
    this.events.push({ type: "delete", kv: state, prev });
    return prev;
  }

  #record(type: ChangeType, state: KeyState): void {
    const sub = this.#sub++;
    this.ws.put(historyKey(this.revision, sub), encodeHistory(type, state));
    this.ws.put(indexKey(state.key, this.revision), encodeIndexEntry(type, sub));
  }
}
