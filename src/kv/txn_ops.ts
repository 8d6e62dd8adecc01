/**
 * One operation of a transaction's branch, and the overlay that lets a range
 * later in the branch see the branch's own earlier writes on top of what the
 * engine held when the transaction started.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TxnOp, TxnOpResultSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX } from "../limits.ts";
import { compareBytes } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import { inRange, isSingleKey, type KeyRange, type KeyState } from "./key_state.ts";
import { keyValueOf } from "./key_value_wire.ts";
import { putExpiry } from "./expire_apply.ts";
import type { RevisionWriter } from "./revision_writer.ts";

export type OpResult = MessageInitShape<typeof TxnOpResultSchema>;

function textOf(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/** The branch's writes so far: a state for a put, null for a delete. */
export class TxnOverlay {
  readonly #written = new Map<string, { key: Uint8Array; state: KeyState | null }>();

  put(state: KeyState): void {
    this.#written.set(textOf(state.key), { key: state.key, state });
  }

  delete(key: Uint8Array): void {
    this.#written.set(textOf(key), { key, state: null });
  }

  /** The engine's states in `range` with this branch's writes applied, in key order. */
  merge(engine: readonly KeyState[], range: KeyRange): KeyState[] {
    if (this.#written.size === 0) return [...engine];
    const out: KeyState[] = [];
    for (const s of engine) if (!this.#written.has(textOf(s.key))) out.push(s);
    for (const { key, state } of this.#written.values()) {
      if (state !== null && inRange(range, key)) out.push(state);
    }
    return out.sort((a, b) => compareBytes(a.key, b.key));
  }
}

/** Runs one op; `engine` holds the engine's keys for a multi-key op (from the plan). */
export function runOp(
  op: TxnOp,
  engine: readonly KeyState[] | undefined,
  w: RevisionWriter,
  overlay: TxnOverlay,
): OpResult {
  const o = op.op;
  switch (o.case) {
    case "put": {
      const prev = w.current(o.value.key);
      const lease = u64ToNumber(o.value.lease, "lease"); // validated before the log
      const expireAtMs = putExpiry(o.value, prev, w.now);
      overlay.put(w.put(o.value.key, o.value.value, lease, prev, expireAtMs));
      const prevKv = prev === undefined ? undefined : keyValueOf(prev);
      return { result: { case: "put", value: { prevKv } } };
    }
    case "deleteRange": {
      const range = { key: o.value.key, rangeEnd: o.value.rangeEnd };
      const states = statesIn(range, engine, w, overlay);
      for (const s of states) {
        w.delete(s.key, s);
        overlay.delete(s.key);
      }
      const prevKvs = o.value.prevKv ? states.map(keyValueOf) : [];
      return {
        result: { case: "deleteRange", value: { deleted: BigInt(states.length), prevKvs } },
      };
    }
    case "range": {
      const r = o.value;
      const states = statesIn({ key: r.key, rangeEnd: r.rangeEnd }, engine, w, overlay);
      const limit = Math.min(r.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
      const shown = r.countOnly ? [] : states.slice(0, limit);
      const kvs = shown.map((s) => keyValueOf(r.keysOnly ? { ...s, value: new Uint8Array(0) } : s));
      const more = !r.countOnly && states.length > limit;
      return { result: { case: "range", value: { kvs, more, count: BigInt(states.length) } } };
    }
    case undefined:
      return {}; // validateCommand refuses empty ops before they reach the log
  }
}

function statesIn(
  range: KeyRange,
  engine: readonly KeyState[] | undefined,
  w: RevisionWriter,
  overlay: TxnOverlay,
): KeyState[] {
  if (isSingleKey(range)) {
    const s = w.current(range.key);
    return s === undefined ? [] : [s];
  }
  return overlay.merge(engine ?? [], range);
}
