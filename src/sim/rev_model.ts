/**
 * The committed history as the simulation reads it back from a node after
 * healing (KvStateMachine.readHistory over every key): every change with its
 * revision, replayable to the state of any key at any revision. Building it
 * also checks the history is well formed: revisions only grow, a put's
 * version, create and mod revision follow from the key's previous state, and
 * only an existing key is deleted. A key with an expiry may be created anew
 * without a delete before: a put over a key expired by the command's time
 * replaces it (docs/decisions/0009-key-expiry.md); ttl_check.ts checks the
 * expiry was due.
 */
import type { KvEvent } from "../kv/key_state.ts";
import { fromUtf8 } from "../util/bytes.ts";

/** A key's state as the checker compares it (keys and values as text). */
export interface RevState {
  readonly value: string;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly lease: number;
  /** When the key expires (Unix ms, 0: never): it reads as absent from then on. */
  readonly expireAtMs: number;
}

export interface RevChange {
  readonly revision: number;
  readonly type: "put" | "delete";
  readonly key: string;
  /** The value a put wrote ("" for a delete). */
  readonly value: string;
}

/** Keys [key, end) as etcd writes ranges: end "" is `key` alone, "\0" every key >= key. */
export interface TextRange {
  readonly key: string;
  readonly end: string;
}

export function inTextRange(r: TextRange, key: string): boolean {
  if (r.end === "") return key === r.key;
  return key >= r.key && (r.end === "\0" || key < r.end);
}

/** The range of every key starting with `prefix`. */
export function prefixRange(prefix: string): TextRange {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { key: prefix, end: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}

export interface Step {
  readonly revision: number;
  readonly state: RevState | undefined;
}

export class RevHistory {
  /** Each key's states in revision order (undefined: deleted). */
  readonly #timeline = new Map<string, Step[]>();
  readonly #byRevision = new Map<number, RevChange[]>();
  /** Ill-formed changes found while building (first few). */
  readonly problems: string[] = [];
  #last = 0;

  get lastRevision(): number {
    return this.#last;
  }

  get keys(): string[] {
    return [...this.#timeline.keys()].sort();
  }

  /** Appends the changes of one page of readHistory, in order. */
  add(events: readonly KvEvent[]): void {
    for (const e of events) this.#addOne(e);
  }

  #problem(text: string): void {
    if (this.problems.length < 10) this.problems.push(text);
  }

  #addOne(e: KvEvent): void {
    const key = fromUtf8(e.kv.key), revision = e.kv.modRevision;
    if (revision < this.#last) this.#problem(`change to ${key} at ${revision} after ${this.#last}`);
    this.#last = Math.max(this.#last, revision);
    const prev = this.stateAt(key, revision);
    const change = {
      revision,
      type: e.type,
      key,
      value: e.type === "put" ? fromUtf8(e.kv.value) : "",
    };
    const list = this.#byRevision.get(revision) ?? [];
    list.push(change);
    this.#byRevision.set(revision, list);
    let state: RevState | undefined;
    if (e.type === "delete") {
      if (prev === undefined) this.#problem(`delete of absent ${key} at ${revision}`);
    } else {
      state = {
        value: change.value,
        version: e.kv.version,
        createRevision: e.kv.createRevision,
        modRevision: revision,
        lease: e.kv.lease,
        expireAtMs: e.kv.expireAtMs,
      };
      const version = (prev?.version ?? 0) + 1;
      const created = prev?.createRevision ?? revision;
      const recreated = prev !== undefined && prev.expireAtMs !== 0 && state.version === 1 &&
        state.createRevision === revision;
      if (!recreated && (state.version !== version || state.createRevision !== created)) {
        this.#problem(
          `put ${key} at ${revision}: version ${state.version} created ${state.createRevision}, ` +
            `expected ${version} and ${created}`,
        );
      }
    }
    const steps = this.#timeline.get(key) ?? [];
    steps.push({ revision, state });
    this.#timeline.set(key, steps);
  }

  /** The key's states in revision order (undefined: deleted). */
  steps(key: string): readonly Step[] {
    return this.#timeline.get(key) ?? [];
  }

  /** Changes made at `revision`, in the order they were made. */
  changesAt(revision: number): readonly RevChange[] {
    return this.#byRevision.get(revision) ?? [];
  }

  /** Every revision that changed something, ascending. */
  get revisions(): number[] {
    return [...this.#byRevision.keys()].sort((a, b) => a - b);
  }

  /** The key as of `revision` (every change at revisions <= it applied). */
  stateAt(key: string, revision: number): RevState | undefined {
    const steps = this.#timeline.get(key);
    if (steps === undefined) return undefined;
    let lo = 0, hi = steps.length; // first step with revision > `revision`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid].revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : steps[lo - 1].state;
  }

  /** Keys ever written in `range`, in key order. */
  keysIn(range: TextRange): string[] {
    if (range.end === "") return [range.key];
    return this.keys.filter((k) => inTextRange(range, k));
  }

  /** Revisions > `after` at which any of `keys` changed, ascending. */
  changeRevisions(keys: readonly string[], after: number): number[] {
    const out = new Set<number>();
    for (const k of keys) {
      for (const s of this.#timeline.get(k) ?? []) if (s.revision > after) out.add(s.revision);
    }
    return [...out].sort((a, b) => a - b);
  }
}
