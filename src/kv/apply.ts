/**
 * What each command does to the key-value state, as a function of the
 * current state (through a RevisionWriter over the pass's WriteSet) and the
 * entry's Raft index, which is the revision of every change it makes. Applying
 * the same log to the same state gives the same result on every replica: no
 * clocks, no randomness, no iteration over unordered state.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type ClientResponseSchema,
  type Command,
  type CompareAndSetRequest,
  ErrorCode,
  type IncrementRequest,
  PutCondition,
  type PutRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { equalBytes, fromUtf8, utf8 } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import { putExpiry } from "./expire_apply.ts";
import type { RevisionWriter } from "./revision_writer.ts";

export type Outcome = MessageInitShape<typeof ClientResponseSchema>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

interface WriteFields {
  readonly existed?: boolean;
  readonly applied?: boolean;
  readonly previousValue?: Uint8Array;
  readonly counter?: bigint;
  readonly deleted?: number;
}

/** A write's outcome; its `revision` is filled in by the state machine after the command. */
export function written(index: number, f: WriteFields = {}): Outcome {
  return {
    body: {
      case: "write",
      value: {
        index: BigInt(index),
        applied: f.applied ?? true,
        existed: f.existed ?? false,
        previousValue: f.previousValue ?? new Uint8Array(0),
        counter: f.counter ?? 0n,
        deleted: f.deleted ?? 0,
      },
    },
  };
}

export function failure(code: ErrorCode, message: string): Outcome {
  return { error: { code, message } };
}

/** Commands on keys; txn, compact and lease commands are applied by the state machine. */
export type KeyCommand = Extract<
  Command["body"],
  { case: "put" | "delete" | "batch" | "compareAndSet" | "increment" }
>;

export function applyKeyCommand(b: KeyCommand, index: number, w: RevisionWriter): Outcome {
  switch (b.case) {
    case "put":
      return applyPut(b.value, index, w);
    case "delete": {
      const existed = w.delete(b.value.key) !== undefined;
      return written(index, { existed, deleted: existed ? 1 : 0 });
    }
    case "batch": {
      let deleted = 0;
      for (const op of b.value.ops) {
        if (op.op.case === "put") w.put(op.op.value.key, op.op.value.value, 0);
        else if (op.op.case === "delete" && w.delete(op.op.value.key) !== undefined) deleted++;
      }
      return written(index, { deleted });
    }
    case "compareAndSet":
      return applyCompareAndSet(b.value, index, w);
    case "increment":
      return applyIncrement(b.value, index, w);
  }
}

function applyPut(p: PutRequest, index: number, w: RevisionWriter): Outcome {
  const current = w.current(p.key);
  const existed = current !== undefined;
  const previousValue = p.returnPrevious ? current?.value : undefined;
  const blocked = (p.condition === PutCondition.IF_ABSENT && existed) ||
    (p.condition === PutCondition.IF_PRESENT && !existed);
  if (blocked) return written(index, { existed, applied: false, previousValue });
  const lease = u64ToNumber(p.lease, "lease"); // validated before the log: cannot throw
  if (lease !== 0 && current?.lease !== lease) {
    const why = w.leases.attachProblem(lease, 1);
    if (why !== undefined) return failure(why.code, why.message);
  }
  w.put(p.key, p.value, lease, current, putExpiry(p, current, w.now));
  return written(index, { existed, previousValue });
}

/** The one-compare transaction of the original API: by value or by mod revision. */
function applyCompareAndSet(c: CompareAndSetRequest, index: number, w: RevisionWriter): Outcome {
  const current = w.current(c.key);
  let holds: boolean;
  if (c.expect.case === "expectedValue") {
    holds = current !== undefined && equalBytes(current.value, c.expect.value);
  } else if (c.expect.case === "expectedModRevision") {
    const want = u64ToNumber(c.expect.value, "expected mod revision"); // validated
    holds = want === 0 ? current === undefined : current?.modRevision === want;
  } else {
    return failure(
      ErrorCode.INVALID_ARGUMENT,
      "compare-and-set needs an expected value or mod revision",
    );
  }
  if (!holds) return written(index, { existed: current !== undefined, applied: false });
  // A compare-and-set keeps the key's lease and expiry: it changes the value, not the owner.
  if (c.action.case === "newValue") {
    w.put(c.key, c.action.value, current?.lease ?? 0, current, current?.expireAtMs ?? 0);
  } else w.delete(c.key, current);
  return written(index, { existed: current !== undefined });
}

/** Redis INCRBY semantics: the value must be a base-10 signed 64-bit integer. */
function applyIncrement(inc: IncrementRequest, index: number, w: RevisionWriter): Outcome {
  const current = w.current(inc.key);
  let value = 0n;
  if (current !== undefined) {
    const text = fromUtf8(current.value);
    if (!/^-?(0|[1-9][0-9]{0,18})$/.test(text)) {
      return failure(ErrorCode.INVALID_ARGUMENT, "value is not an integer or out of range");
    }
    value = BigInt(text);
    if (value < INT64_MIN || value > INT64_MAX) {
      return failure(ErrorCode.INVALID_ARGUMENT, "value is not an integer or out of range");
    }
  }
  const next = value + inc.delta;
  if (next < INT64_MIN || next > INT64_MAX) {
    return failure(ErrorCode.INVALID_ARGUMENT, "increment or decrement would overflow");
  }
  // Redis INCR keeps the key's expiry.
  w.put(inc.key, utf8(next.toString()), current?.lease ?? 0, current, current?.expireAtMs ?? 0);
  return written(index, { existed: current !== undefined, counter: next });
}
