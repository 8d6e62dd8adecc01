/**
 * Transactions as the client library takes and returns them
 * (docs/coordination.md#transactions): a friendly typed shape, and its
 * translation to and from the wire's TxnRequest / TxnResponse.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  CompareResult,
  type CompareSchema,
  CompareTarget,
  type TxnOpResult as WireOpResult,
  type TxnRequestSchema,
  type TxnResponse,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { toBytes } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import { TinyKvError } from "./errors.ts";
import { putExpiryFields, type PutOptions } from "./expiry_options.ts";
import { entryFromWire, type KeyEntry, wireNumber } from "./key_entry.ts";

type Bytes = string | Uint8Array;

export type CompareOperator = "=" | "!=" | ">" | "<";
export type NumericTarget = "version" | "createRevision" | "modRevision" | "lease";

/**
 * `key`'s target <result> the operand. A missing key has value "", version 0,
 * create/mod revision 0 and lease 0.
 */
export type TxnCompare =
  | { key: Bytes; target: "value"; result: CompareOperator; value: Bytes }
  | { key: Bytes; target: NumericTarget; result: CompareOperator; number: number };

/** One operation of a branch. Ranges are [key, rangeEnd); rangeEnd "\0": every key >= key. */
export type TxnOp =
  | { put: { key: Bytes; value: Bytes } & PutOptions }
  | { delete: { key: Bytes; rangeEnd?: Bytes; prevKv?: boolean } }
  | {
    range: {
      key: Bytes;
      rangeEnd?: Bytes;
      limit?: number;
      keysOnly?: boolean;
      countOnly?: boolean;
    };
  };

export interface TxnSpec {
  readonly compare?: readonly TxnCompare[];
  readonly success?: readonly TxnOp[];
  readonly failure?: readonly TxnOp[];
}

export type TxnOpResult =
  | { put: { prevKv?: KeyEntry } }
  | { delete: { deleted: number; prevKvs: KeyEntry[] } }
  | { range: { kvs: KeyEntry[]; more: boolean; count: number } };

export interface TxnResult {
  /** Whether every compare held (the success branch ran). */
  readonly succeeded: boolean;
  /** The store revision after the transaction (its own when it wrote anything). */
  readonly revision: number;
  /** One result per operation of the branch that ran, in order. */
  readonly results: TxnOpResult[];
}

type TxnRequestInit = MessageInitShape<typeof TxnRequestSchema>;

const TARGETS = {
  value: CompareTarget.VALUE,
  version: CompareTarget.VERSION,
  createRevision: CompareTarget.CREATE_REVISION,
  modRevision: CompareTarget.MOD_REVISION,
  lease: CompareTarget.LEASE,
} as const;

const RESULTS: Record<CompareOperator, CompareResult> = {
  "=": CompareResult.EQUAL,
  "!=": CompareResult.NOT_EQUAL,
  ">": CompareResult.GREATER,
  "<": CompareResult.LESS,
};

function invalid(message: string): TinyKvError {
  return new TinyKvError("INVALID_ARGUMENT", message, false);
}

function compareToWire(c: TxnCompare): MessageInitShape<typeof CompareSchema> {
  const result = RESULTS[c.result];
  if (result === undefined) throw invalid(`unknown compare result '${c.result}'`);
  const key = toBytes(c.key);
  // Callers from plain JavaScript can leave the operand out: say so rather than compare with 0.
  const operand: unknown = c.target === "value" ? c.value : c.number;
  if (operand === undefined) {
    throw invalid(`a compare on ${c.target} needs ${c.target === "value" ? "value" : "number"}`);
  }
  if (c.target === "value") {
    const operand = { case: "value", value: toBytes(c.value) } as const;
    return { key, target: TARGETS.value, result, operand };
  }
  const target = TARGETS[c.target];
  if (target === undefined) throw invalid(`unknown compare target '${c.target}'`);
  const value = wireNumber(c.number, `compare ${c.target}`);
  return { key, target, result, operand: { case: c.target, value } };
}

const EMPTY = new Uint8Array(0);
const bytesOr = (b: Bytes | undefined) => (b === undefined ? EMPTY : toBytes(b));

function opToWire(op: TxnOp) {
  if ("put" in op) {
    const p = op.put;
    const value = {
      key: toBytes(p.key),
      value: toBytes(p.value),
      lease: wireNumber(p.lease, "lease"),
      ...putExpiryFields(p),
    };
    return { op: { case: "put", value } } as const;
  }
  if ("delete" in op) {
    const d = op.delete;
    const value = { key: toBytes(d.key), rangeEnd: bytesOr(d.rangeEnd), prevKv: d.prevKv ?? false };
    return { op: { case: "deleteRange", value } } as const;
  }
  if ("range" in op) {
    const r = op.range;
    const limit = Number(wireNumber(r.limit, "range limit"));
    const value = {
      key: toBytes(r.key),
      rangeEnd: bytesOr(r.rangeEnd),
      limit,
      keysOnly: r.keysOnly ?? false,
      countOnly: r.countOnly ?? false,
    };
    return { op: { case: "range", value } } as const;
  }
  throw invalid("a txn operation must be one of put, delete, range");
}

export function txnToWire(spec: TxnSpec): TxnRequestInit {
  return {
    compare: (spec.compare ?? []).map(compareToWire),
    success: (spec.success ?? []).map(opToWire),
    failure: (spec.failure ?? []).map(opToWire),
  };
}

function opResultFromWire(r: WireOpResult): TxnOpResult {
  const x = r.result;
  switch (x.case) {
    case "put": {
      const prev = x.value.prevKv;
      const hasPrev = prev !== undefined && prev.key.length > 0;
      return { put: hasPrev ? { prevKv: entryFromWire(prev.key, prev) } : {} };
    }
    case "deleteRange":
      return {
        delete: {
          deleted: u64ToNumber(x.value.deleted, "deleted"),
          prevKvs: x.value.prevKvs.map((kv) => entryFromWire(kv.key, kv)),
        },
      };
    case "range":
      return {
        range: {
          kvs: x.value.kvs.map((kv) => entryFromWire(kv.key, kv)),
          more: x.value.more,
          count: u64ToNumber(x.value.count, "count"),
        },
      };
    default:
      throw new TinyKvError("UNAVAILABLE", "a txn result without a body", false);
  }
}

export function txnFromWire(r: TxnResponse): TxnResult {
  return {
    succeeded: r.succeeded,
    revision: u64ToNumber(r.revision, "revision"),
    results: r.results.map(opResultFromWire),
  };
}
