/**
 * Client sessions: at-most-once application of retried writes (DESIGN §2.7).
 * For each client the state machine keeps the saved outcome of every write it
 * applied that the client has not acknowledged yet. A retry of a saved
 * sequence returns the saved outcome instead of applying the write again.
 *
 * Everything here changes only while applying the log, in log order, so every
 * replica makes the same choices, including which session to forget when
 * there are more than SESSIONS_MAX (the least recently active one; ties
 * cannot happen because one log entry touches one session).
 */
import { SESSION_RESULTS_MAX, SESSIONS_MAX } from "../limits.ts";
import { assert } from "../util/assert.ts";
import { encodeSession, resultKey, sessionKey } from "./keyspace.ts";
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

  /** Rebuilds from stored records; `sessions` in any order. */
  load(
    sessions: { clientId: number; floor: number; lastActiveIndex: number }[],
    results: { clientId: number; sequence: number; outcome: Uint8Array }[],
  ): void {
    this.#sessions.clear();
    sessions.sort((a, b) => a.lastActiveIndex - b.lastActiveIndex || a.clientId - b.clientId);
    for (const s of sessions) {
      this.#sessions.set(s.clientId, {
        floor: s.floor,
        lastActiveIndex: s.lastActiveIndex,
        results: new Map(),
      });
    }
    for (const r of results) this.#sessions.get(r.clientId)?.results.set(r.sequence, r.outcome);
  }

  lookup(clientId: number, sequence: number): SessionLookup {
    const s = this.#sessions.get(clientId);
    if (s === undefined) return { kind: "new" };
    const saved = s.results.get(sequence);
    if (saved !== undefined) return { kind: "saved", outcome: saved };
    return sequence <= s.floor ? { kind: "forgotten" } : { kind: "new" };
  }

  /** Records the outcome of a newly applied write and the client's acknowledgement. */
  record(
    write: { clientId: number; sequence: number; ackedSequence: number; index: number },
    outcome: Uint8Array,
    ws: WriteSet,
  ): void {
    const { clientId, sequence, index } = write;
    assert(clientId > 0 && sequence > 0, "sessions track only identified writes");
    let s = this.#sessions.get(clientId);
    if (s === undefined) s = { floor: 0, lastActiveIndex: 0, results: new Map() };
    this.#sessions.delete(clientId); // re-insert: most recently active goes last
    this.#sessions.set(clientId, s);
    s.lastActiveIndex = index;
    this.#forgetUpTo(clientId, s, Math.min(write.ackedSequence, sequence - 1), ws);
    s.results.set(sequence, outcome);
    ws.put(resultKey(clientId, sequence), outcome);
    if (s.results.size > this.resultsMax) this.#forgetOldest(clientId, s, ws);
    ws.put(sessionKey(clientId), encodeSession(s.floor, s.lastActiveIndex));
    if (this.#sessions.size > this.sessionsMax) this.#evictLeastRecent(ws);
  }

  #forgetUpTo(clientId: number, s: Session, acked: number, ws: WriteSet): void {
    if (acked <= s.floor) return;
    // Deleting the current entry while iterating a Map is safe (no copy of the keys).
    for (const seq of s.results.keys()) {
      if (seq <= acked) {
        s.results.delete(seq);
        ws.delete(resultKey(clientId, seq));
      }
    }
    s.floor = acked;
  }

  #forgetOldest(clientId: number, s: Session, ws: WriteSet): void {
    let oldest = Infinity;
    for (const seq of s.results.keys()) if (seq < oldest) oldest = seq;
    this.#forgetUpTo(clientId, s, oldest, ws);
  }

  #evictLeastRecent(ws: WriteSet): void {
    const [clientId, s] = this.#sessions.entries().next().value ?? [];
    if (clientId === undefined || s === undefined) return;
    for (const seq of s.results.keys()) ws.delete(resultKey(clientId, seq));
    ws.delete(sessionKey(clientId));
    this.#sessions.delete(clientId);
  }
}
