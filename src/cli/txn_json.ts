/**
 * `tinykv txn`'s JSON: the transaction it reads on stdin (the client
 * library's TxnSpec with keys and values as strings) and the result it
 * prints. Anything malformed is a UsageError naming where (exit code 2).
 * docs/coordination.md#transactions shows the shape.
 */
import type { KeyEntry } from "../client/key_entry.ts";
import type { TxnCompare, TxnOp, TxnOpResult, TxnResult, TxnSpec } from "../client/txn.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import { UsageError } from "./usage_error.ts";

type Json = Record<string, unknown>;

const TARGETS = ["value", "version", "createRevision", "modRevision", "lease"] as const;
const RESULTS = ["=", "!=", ">", "<"] as const;

function object(x: unknown, where: string): Json {
  if (x === null || typeof x !== "object" || Array.isArray(x)) {
    throw new UsageError(`${where} must be a JSON object`);
  }
  return x as Json;
}

function only(o: Json, allowed: readonly string[], where: string): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new UsageError(`${where} has an unknown field '${extra}'`);
}

function text(o: Json, field: string, where: string, optional = false): string | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string") throw new UsageError(`${where}.${field} must be a string`);
  return v;
}

function whole(o: Json, field: string, where: string, optional = false): number | undefined {
  const v = o[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new UsageError(`${where}.${field} must be a whole number >= 0`);
  }
  return v;
}

function flag(o: Json, field: string, where: string): boolean | undefined {
  const v = o[field];
  if (v !== undefined && typeof v !== "boolean") {
    throw new UsageError(`${where}.${field} must be true or false`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, options: readonly T[], where: string): T {
  const found = options.find((o) => o === v);
  if (found === undefined) throw new UsageError(`${where} must be one of ${options.join(", ")}`);
  return found;
}

function compareOf(x: unknown, where: string): TxnCompare {
  const o = object(x, where);
  const key = text(o, "key", where) ?? "";
  const target = oneOf(o.target, TARGETS, `${where}.target`);
  const result = oneOf(o.result, RESULTS, `${where}.result`);
  if (target === "value") {
    only(o, ["key", "target", "result", "value"], where);
    return { key, target, result, value: text(o, "value", where) ?? "" };
  }
  only(o, ["key", "target", "result", "number"], where);
  return { key, target, result, number: whole(o, "number", where) ?? 0 };
}

function opOf(x: unknown, where: string): TxnOp {
  const o = object(x, where);
  const kinds = Object.keys(o);
  if (kinds.length !== 1) throw new UsageError(`${where} must have one of put, delete, range`);
  const kind = oneOf(kinds[0], ["put", "delete", "range"] as const, `${where}'s operation`);
  const at = `${where}.${kind}`;
  const b = object(o[kind], at);
  const key = text(b, "key", at) ?? "";
  if (kind === "put") {
    only(b, ["key", "value", "lease"], at);
    return { put: { key, value: text(b, "value", at) ?? "", lease: whole(b, "lease", at, true) } };
  }
  const rangeEnd = text(b, "rangeEnd", at, true);
  if (kind === "delete") {
    only(b, ["key", "rangeEnd", "prevKv"], at);
    return { delete: { key, rangeEnd, prevKv: flag(b, "prevKv", at) } };
  }
  only(b, ["key", "rangeEnd", "limit", "keysOnly", "countOnly"], at);
  const limit = whole(b, "limit", at, true);
  const keysOnly = flag(b, "keysOnly", at), countOnly = flag(b, "countOnly", at);
  return { range: { key, rangeEnd, limit, keysOnly, countOnly } };
}

function listOf<T>(o: Json, field: string, item: (x: unknown, where: string) => T): T[] {
  const v = o[field];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new UsageError(`${field} must be a JSON array`);
  return v.map((x, i) => item(x, `${field}[${i}]`));
}

/** The transaction in `input`, or a UsageError saying what is wrong with it. */
export function parseTxnJson(input: string): TxnSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch (err) {
    throw new UsageError(`the transaction on stdin is not JSON (${errorMessage(err)})`);
  }
  const o = object(parsed, "the transaction");
  only(o, ["compare", "success", "failure"], "the transaction");
  return {
    compare: listOf(o, "compare", compareOf),
    success: listOf(o, "success", opOf),
    failure: listOf(o, "failure", opOf),
  };
}

/** A key's state as JSON (keys and values as UTF-8 text). */
export function entryJson(e: KeyEntry): Json {
  return {
    key: fromUtf8(e.key),
    value: fromUtf8(e.value),
    createRevision: e.createRevision,
    modRevision: e.modRevision,
    version: e.version,
    lease: e.lease,
    expireAtMs: e.expireAtMs,
  };
}

function opResultJson(r: TxnOpResult): Json {
  if ("put" in r) {
    return { put: r.put.prevKv === undefined ? {} : { prevKv: entryJson(r.put.prevKv) } };
  }
  if ("delete" in r) {
    return { delete: { deleted: r.delete.deleted, prevKvs: r.delete.prevKvs.map(entryJson) } };
  }
  const { kvs, more, count } = r.range;
  return { range: { kvs: kvs.map(entryJson), more, count } };
}

export function txnResultJson(r: TxnResult): Json {
  return { succeeded: r.succeeded, revision: r.revision, results: r.results.map(opResultJson) };
}
