/**
 * The expiry check (docs/simulation.md#key-expiry): the operations on TTL keys
 * (ttl_ops.ts) against the committed history, whose records carry each key's
 * expireAtMs at every revision. Times are wall-clock ms; a command's `now`
 * (the leader's clock when it proposed, never going back) lies between its
 * call and its return, since there is one clock and no skew. It checks
 *
 * (a) reads: no linearizable get or scan called at or after a key's expiry
 *     returns it: what it returned (value and expiry, when the read reports
 *     it: a RESP GET does not) must be a state of the history that was still
 *     current after every put to the key that returned before the call, and
 *     whose expiry (0: none) is after the call. A
 *     transaction reports the revision it read at, by its command's time
 *     (between its call and return): it must return exactly the keys present
 *     there, less those expired by its call, and may leave out those whose
 *     expiry fell before its return;
 * (b) writes: every put of a TTL key is one operation's, once, at the revision
 *     it reported, with the expiry it asked for (a TTL: between call + ttl and
 *     return + ttl; keep: the previous one; none: 0); an ok put is in the
 *     history; a change that keeps the value is an `expire` (persist: 0);
 * (c) deletes and re-creations no client made: a TTL key is only deleted by
 *     the sweeper (`expire_keys`) or re-created by a put over it (version 1
 *     without a delete) when it had an expiry, due by the time the change was
 *     observed: no later than the return of any put that reported a revision
 *     at or after the change (the change's command ran before that return).
 */
import type { RevHistory, RevState } from "./rev_model.ts";
import type { TtlOp, TtlSeen } from "./ttl_ops.ts";

export interface TtlCheckReport {
  readonly ok: boolean;
  readonly violations: string[];
  /** Reads checked, those that returned a key with an expiry, history changes checked. */
  readonly reads: number;
  readonly expiring: number;
  readonly changes: number;
  /** Deletes and re-creations no client made (the sweeper's, or puts over expired keys). */
  readonly swept: number;
}

const VIOLATIONS_MAX = 10;

const name = (o: TtlOp): string =>
  `${o.client} ttl ${o.kind} ${o.key}${o.value === undefined ? "" : `=${o.value}`}@[${o.call},${
    o.ret === Infinity ? "?" : o.ret
  }]`;

class TtlChecker {
  readonly violations: string[] = [];
  swept = 0;
  expiring = 0;
  readonly #puts = new Map<string, TtlOp>();
  /**
   * Ok puts and transactions by revision, to bound when a revision was applied:
   * the one they reported, or for a put that reports none (a RESP SET) the one
   * its unique value was written at.
   */
  readonly #byRevision: { readonly op: TtlOp; readonly revision: number }[];

  constructor(readonly h: RevHistory, readonly ops: readonly TtlOp[]) {
    for (const o of ops) if (o.kind === "put") this.#puts.set(`${o.key}\0${o.value}`, o);
    this.#byRevision = ops.filter((o) => o.outcome === "ok")
      .map((op) => ({ op, revision: op.revision ?? this.#writtenAt(op) ?? 0 }))
      .filter((p) => p.revision > 0)
      .sort((a, b) => a.revision - b.revision);
  }

  /** The revision at which a put's value was written, if it was. */
  #writtenAt(op: TtlOp): number | undefined {
    if (op.kind !== "put") return undefined;
    return this.h.steps(op.key).find((st) => st.state?.value === op.value)?.revision;
  }

  fail(text: string): void {
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(text);
  }

  /** The earliest return of an ok put or transaction at or after `revision` (Infinity: none). */
  observedBy(revision: number): number {
    let t = Infinity;
    for (let i = this.#byRevision.length - 1; i >= 0; i--) {
      const o = this.#byRevision[i];
      if (o.revision < revision) break;
      t = Math.min(t, o.op.ret);
    }
    return t;
  }

  /** Checks each change to `key` (b, c); returns how many. */
  changes(key: string, written: Set<string>): number {
    const steps = this.h.steps(key);
    for (let i = 0; i < steps.length; i++) {
      const { revision, state } = steps[i];
      const prev = i === 0 ? undefined : steps[i - 1].state;
      if (state === undefined) this.#unmade(key, revision, prev, "deleted");
      else if (prev !== undefined && prev.value === state.value) this.#expire(key, revision, state);
      else this.#put(key, revision, state, prev, written);
    }
    return steps.length;
  }

  #unmade(key: string, revision: number, prev: RevState | undefined, what: string): void {
    const due = prev?.expireAtMs ?? 0, seen = this.observedBy(revision);
    this.swept++;
    if (due === 0) this.fail(`${key} ${what} at ${revision} without an expiry`);
    else if (due > seen) {
      this.fail(`${key} ${what} at ${revision}, applied by ${seen}, expiry ${due} not due`);
    }
  }

  #expire(key: string, revision: number, s: RevState): void {
    const fits = this.ops.some((o) =>
      o.kind === "expire" && o.key === key && o.outcome !== "fail" &&
      (o.persist === true ? s.expireAtMs === 0 : within(s.expireAtMs, o))
    );
    if (!fits) this.fail(`${key} expiry ${s.expireAtMs} at ${revision}: no expire asked for it`);
  }

  #put(key: string, rev: number, s: RevState, prev: RevState | undefined, written: Set<string>) {
    const id = `${key}\0${s.value}`, op = this.#puts.get(id);
    if (written.has(id)) this.fail(`${key}=${s.value} written twice (again at ${rev})`);
    written.add(id);
    if (op === undefined || op.outcome === "fail") {
      this.fail(`${key}=${s.value} at ${rev}: no operation wrote it`);
      return;
    }
    if (op.revision !== undefined && op.revision !== rev) {
      this.fail(`${name(op)} reported revision ${op.revision}, wrote at ${rev}`);
    }
    const recreated = prev !== undefined && s.version === 1;
    if (recreated) this.#unmade(key, rev, prev, "re-created");
    const kept = recreated || prev === undefined ? 0 : prev.expireAtMs;
    const good = op.ttlMs !== undefined
      ? within(s.expireAtMs, op)
      : s.expireAtMs === (op.keepTtl === true ? kept : 0);
    if (!good) this.fail(`${name(op)} at ${rev}: expiry ${s.expireAtMs} is not what it asked`);
  }

  /** (a) for a transaction's range over the TTL keys, at the revision it reported. */
  readAt(op: TtlOp, revision: number, isTtlKey: (key: string) => boolean): void {
    const seen = new Map((op.seen ?? []).map((s) => [s.key, s]));
    for (const key of this.h.keys.filter(isTtlKey)) {
      const s = this.h.stateAt(key, revision), got = seen.get(key);
      const due = s === undefined ? 0 : s.expireAtMs;
      const absent = s === undefined || (due !== 0 && due <= op.call);
      const optional = !absent && due !== 0 && due <= op.ret;
      const at = `${name(op)} at ${revision}`;
      if (got === undefined && !absent && !optional) this.fail(`${at} missed ${key}=${s?.value}`);
      if (got !== undefined && absent) {
        this.fail(`${at} returned ${key}=${got.value}, absent or expired (${due}) there`);
      }
      if (got !== undefined && s !== undefined && !absent) {
        if (got.value !== s.value || got.expireAtMs !== s.expireAtMs) {
          this.fail(
            `${at} returned ${key}=${got.value} (expiry ${got.expireAtMs}), ` +
              `not ${s.value} (${s.expireAtMs})`,
          );
        }
      }
      seen.delete(key);
    }
    for (const k of seen.keys()) this.fail(`${name(op)} returned ${k}, never written`);
  }

  /** (a) for one read. */
  read(op: TtlOp): void {
    for (const seen of op.seen ?? []) {
      const reported = seen.expireAtMs ?? 0;
      if (reported !== 0 && reported <= op.call) {
        this.fail(`${name(op)} returned ${seen.key}=${seen.value} expired at ${reported}`);
        continue;
      }
      const state = this.#match(op, seen);
      if (state === undefined) {
        this.fail(
          `${name(op)} returned ${seen.key}=${seen.value} (expiry ${seen.expireAtMs ?? "?"}), ` +
            "no state it could read unexpired",
        );
      } else if (state.expireAtMs !== 0) this.expiring++;
    }
  }

  /**
   * A state of the key that equals `seen` (its expiry too, when the read
   * reported it), was current late enough, and had not expired by the call.
   */
  #match(op: TtlOp, seen: TtlSeen): RevState | undefined {
    let low = 0; // the last put to the key that returned before the call
    for (const o of this.#byRevision) {
      if (o.op.kind === "put" && o.op.key === seen.key && o.op.ret < op.call) {
        low = Math.max(low, o.revision);
      }
    }
    const steps = this.h.steps(seen.key);
    return steps.find((st, i) =>
      st.state !== undefined && st.state.value === seen.value &&
      (seen.expireAtMs === undefined || st.state.expireAtMs === seen.expireAtMs) &&
      (st.state.expireAtMs === 0 || st.state.expireAtMs > op.call) &&
      (i + 1 === steps.length || steps[i + 1].revision > low)
    )?.state;
  }
}

/** Whether an expiry fits a TTL asked for between the op's call and return. */
function within(expireAtMs: number, op: TtlOp): boolean {
  const ttl = op.ttlMs ?? 0;
  return expireAtMs >= op.call + ttl && expireAtMs <= op.ret + ttl;
}

export function checkExpiry(
  ops: readonly TtlOp[],
  h: RevHistory,
  isTtlKey: (key: string) => boolean,
): TtlCheckReport {
  const c = new TtlChecker(h, ops);
  const written = new Set<string>();
  let changes = 0, reads = 0;
  for (const key of h.keys.filter(isTtlKey)) changes += c.changes(key, written);
  for (const o of ops) {
    if (o.outcome !== "ok") continue;
    if (o.kind === "get" || o.kind === "scan" || o.kind === "txn") {
      c.read(o);
      if (o.kind === "txn" && o.revision !== undefined) c.readAt(o, o.revision, isTtlKey);
      reads++;
    } else if (o.kind === "put" && !written.has(`${o.key}\0${o.value}`)) {
      c.fail(`${name(o)} acknowledged, but not in the history`);
    }
  }
  const { violations, swept, expiring } = c;
  return { ok: violations.length === 0, violations, reads, expiring, changes, swept };
}
