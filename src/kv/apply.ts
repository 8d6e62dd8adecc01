/**
 * What each command does to the key-value state, as a function of the
 * current state (through a WriteSet) and the entry's Raft index. Applying the
 * same log to the same state gives the same result on every replica: no
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
import { dataKey, decodeStored, encodeStored } from "./keyspace.ts";
import type { WriteSet } from "./write_set.ts";

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

function written(index: number, f: WriteFields = {}): Outcome {
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

export function applyCommand(command: Command, index: number, ws: WriteSet): Outcome {
  const b = command.body;
  switch (b.case) {
    case "put":
      return applyPut(b.value, index, ws);
    case "delete": {
      const key = dataKey(b.value.key);
      const existed = ws.get(key) !== undefined;
      if (existed) ws.delete(key);
      return written(index, { existed, deleted: existed ? 1 : 0 });
    }
    case "batch": {
      let deleted = 0;
      for (const op of b.value.ops) {
        if (op.op.case === "put") {
          ws.put(dataKey(op.op.value.key), encodeStored(index, op.op.value.value));
        } else if (op.op.case === "delete") {
          const key = dataKey(op.op.value.key);
          if (ws.get(key) !== undefined) deleted++;
          ws.delete(key);
        }
      }
      return written(index, { deleted });
    }
    case "compareAndSet":
      return applyCompareAndSet(b.value, index, ws);
    case "increment":
      return applyIncrement(b.value, index, ws);
    case "txn":
    case "compact":
    case "leaseGrant":
    case "leaseRevoke":
      return failure(ErrorCode.INVALID_ARGUMENT, `${b.case} is being built`);
    case undefined:
      return failure(ErrorCode.INVALID_ARGUMENT, "command has no body");
  }
}

function applyPut(p: PutRequest, index: number, ws: WriteSet): Outcome {
  const key = dataKey(p.key);
  const current = ws.get(key);
  const existed = current !== undefined;
  const previousValue = p.returnPrevious && current !== undefined
    ? decodeStored(current).value
    : undefined;
  const blocked = (p.condition === PutCondition.IF_ABSENT && existed) ||
    (p.condition === PutCondition.IF_PRESENT && !existed);
  if (blocked) return written(index, { existed, applied: false, previousValue });
  ws.put(key, encodeStored(index, p.value), existed);
  return written(index, { existed, previousValue });
}

function applyCompareAndSet(c: CompareAndSetRequest, index: number, ws: WriteSet): Outcome {
  const key = dataKey(c.key);
  const raw = ws.get(key);
  const current = raw === undefined ? undefined : decodeStored(raw);
  let holds: boolean;
  if (c.expect.case === "expectedValue") {
    holds = current !== undefined && equalBytes(current.value, c.expect.value);
  } else if (c.expect.case === "expectedModRevision") {
    const want = u64ToNumber(c.expect.value, "expected version"); // validated: cannot throw
    holds = want === 0 ? current === undefined : current?.version === want;
  } else {
    return failure(
      ErrorCode.INVALID_ARGUMENT,
      "compare-and-set needs an expected value or version",
    );
  }
  if (!holds) return written(index, { existed: current !== undefined, applied: false });
  if (c.action.case === "newValue") ws.put(key, encodeStored(index, c.action.value));
  else ws.delete(key);
  return written(index, { existed: current !== undefined });
}

/** Redis INCRBY semantics: the value must be a base-10 signed 64-bit integer. */
function applyIncrement(inc: IncrementRequest, index: number, ws: WriteSet): Outcome {
  const key = dataKey(inc.key);
  const raw = ws.get(key);
  let current = 0n;
  if (raw !== undefined) {
    const text = fromUtf8(decodeStored(raw).value);
    if (!/^-?(0|[1-9][0-9]{0,18})$/.test(text)) {
      return failure(ErrorCode.INVALID_ARGUMENT, "value is not an integer or out of range");
    }
    current = BigInt(text);
    if (current < INT64_MIN || current > INT64_MAX) {
      return failure(ErrorCode.INVALID_ARGUMENT, "value is not an integer or out of range");
    }
  }
  const next = current + inc.delta;
  if (next < INT64_MIN || next > INT64_MAX) {
    return failure(ErrorCode.INVALID_ARGUMENT, "increment or decrement would overflow");
  }
  ws.put(key, encodeStored(index, utf8(next.toString())));
  return written(index, { existed: raw !== undefined, counter: next });
}
