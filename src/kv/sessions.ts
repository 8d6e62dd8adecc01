/**
 * Client sessions: at-most-once application of retried writes (docs/design.md §2.7).
 * For each client the state machine keeps the saved outcome of every write it
 * applied that the client has not acknowledged yet. A retry of a saved
 * sequence returns the saved outcome instead of applying the write again.
 *
 * Everything here changes only while applying the log, in log order, so every
 * replica makes the same choices, including which session to forget when
 * there are more than SESSIONS_MAX (the least recently active one; ties
 * cannot happen because one log entry touches one session).
 */
import type { Command } from "../gen/tinykv/v1/tinykv_pb.ts";
import { SESSION_RESULTS_MAX, SESSIONS_MAX } from "../limits.ts";
import { assert } from "../util/assert.ts";
import { u64ToNumber } from "../util/ids.ts";
import { encodeSession } from "./keyspace.ts";
import type { WriteSet } from "./write_set.ts";

interface Session {
  /** Every sequence at or below this is acknowledged or forgotten. */
  floor: number;
  lastActiveIndex: number;
  readonly results: Map<number, Uint8Array>;
}

export type SessionLookup =
  | { readonly kind: "new" }
  | { readonly kind: "saved"; readonly outcome: Uint8Array }
  | { readonly kind: "forgotten" };

export class Sessions {
  /** Ordered from least to most recently active. */
  readonly #sessions = new Map<number, Session>();

  constructor(readonly sessionsMax = SESSIONS_MAX, readonly resultsMax = SESSION_RESULTS_MAX) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** Clients whose session changed in the current apply pass (written by `flush`). */
  readonly #dirty = new Set<number>();
  /** Clients with outcome keys of the older one-key-per-outcome layout to delete. */
  readonly #legacy = new Map<number, Set<number>>();

  /**
   * Rebuilds from stored records; `sessions` in any order. `legacyResults`:
   * outcomes stored one per key by older builds; they join their session and
   * their keys are deleted when the session is next written.
   */
  load(
    sessions: {
      clientId: number;
      floor: number;
      lastActiveIndex: number;
      results: ReadonlyMap<number, Uint8Array>;
    }[],
    legacyResults: { clientId: number; sequence: number; outcome: Uint8Array }[] = [],
  ): void {
    this.#sessions.clear();
    this.#dirty.clear();
    this.#legacy.clear();
    sessions.sort((a, b) => a.lastActiveIndex - b.lastActiveIndex || a.clientId - b.clientId);
    for (const s of sessions) {
      this.#sessions.set(s.clientId, {
        floor: s.floor,
        lastActiveIndex: s.lastActiveIndex,
        results: new Map(s.results),
      });
    }
    for (const r of legacyResults) {
      const s = this.#sessions.get(r.clientId);
      if (s === undefined) continue;
      if (r.sequence > s.floor) s.results.set(r.sequence, r.outcome);
      const seqs = this.#legacy.get(r.clientId) ?? new Set<number>();
      seqs.add(r.sequence);
      this.#legacy.set(r.clientId, seqs);
    }
  }

  /** Whether a validated command runs (it is no retry of a saved or forgotten write). */
  isNew(command: Command): boolean {
    const clientId = u64ToNumber(command.clientId, "client id");
    const sequence = u64ToNumber(command.sequence, "sequence");
    return clientId === 0 || sequence === 0 || this.lookup(clientId, sequence).kind === "new";
  }

  lookup(clientId: number, sequence: number): SessionLookup {
    const s = this.#sessions.get(clientId);
    if (s === undefined) return { kind: "new" };
    const saved = s.results.get(sequence);
    if (saved !== undefined) return { kind: "saved", outcome: saved };
    return sequence <= s.floor ? { kind: "forgotten" } : { kind: "new" };
  }

  /**
   * Records the outcome of a newly applied write and the client's
   * acknowledgement. The session record is written by `flush`, once per pass.
   */
  record(
    write: { clientId: number; sequence: number; ackedSequence: number; index: number },
    outcome: Uint8Array,
    ws: WriteSet,
  ): void {
    const { clientId, sequence, index } = write;
    assert(clientId > 0 && sequence > 0, "sessions track only identified writes");
    let s = this.#sessions.get(clientId);
    if (s === undefined) s = { floor: 0, lastActiveIndex: 0, results: new Map() };
    // Only a write `lookup` called new is recorded, and in log order.
    if (!(sequence > s.floor && !s.results.has(sequence))) {
      assert(false, `sequence ${sequence} recorded twice`);
    }
    if (index <= s.lastActiveIndex) {
      assert(false, `session of ${clientId} went back to index ${index}`);
    }
    this.#sessions.delete(clientId); // re-insert: most recently active goes last
    this.#sessions.set(clientId, s);
    s.lastActiveIndex = index;
    this.#forgetUpTo(s, Math.min(write.ackedSequence, sequence - 1));
    s.results.set(sequence, outcome);
    if (s.results.size > this.resultsMax) this.#forgetOldest(s);
    this.#dirty.add(clientId);
    if (this.#sessions.size > this.sessionsMax) this.#evictLeastRecent(ws);
  }

  /** Writes the session records changed since the last flush (before the pass commits). */
  flush(ws: WriteSet): void {
    for (const clientId of this.#dirty) {
      const s = this.#sessions.get(clientId);
      if (s === undefined) continue;
      ws.put(ws.region.session(clientId), encodeSession(s));
      this.#deleteLegacy(clientId, ws);
    }
    this.#dirty.clear();
  }

  #deleteLegacy(clientId: number, ws: WriteSet): void {
    const seqs = this.#legacy.get(clientId);
    if (seqs === undefined) return;
    for (const seq of seqs) ws.delete(ws.region.result(clientId, seq));
    this.#legacy.delete(clientId);
  }

  #forgetUpTo(s: Session, acked: number): void {
    if (acked <= s.floor) return;
    // Deleting the current entry while iterating a Map is safe (no copy of the keys).
    for (const seq of s.results.keys()) if (seq <= acked) s.results.delete(seq);
    s.floor = acked;
  }

  #forgetOldest(s: Session): void {
    let oldest = Infinity;
    for (const seq of s.results.keys()) if (seq < oldest) oldest = seq;
    this.#forgetUpTo(s, oldest);
  }

  #evictLeastRecent(ws: WriteSet): void {
    const [clientId] = this.#sessions.keys();
    if (clientId === undefined) return;
    ws.delete(ws.region.session(clientId));
    this.#deleteLegacy(clientId, ws);
    this.#sessions.delete(clientId);
    this.#dirty.delete(clientId);
  }
}
