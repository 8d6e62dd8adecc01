/**
 * The keys a protobuf request touches, as spans, for checking them against the region it was
 * routed to (route_check.ts). A range in etcd's form (txn ranges) follows key_state.ts: an empty
 * end is the key alone, "\0" every key from it on.
 */
import type { ClientRequest, ScanRequest, TxnOp } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { keysOf } from "../../kv/redis/command_keys.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { type KeySpan, keySpan, scanSpanOf } from "../../region/region_catalog.ts";

const EMPTY = new Uint8Array(0);

/** The spans of `req`'s keys; undefined for a request without keys (status, regions, redis). */
export function requestSpans(req: ClientRequest): KeySpan[] | undefined {
  const b = req.body;
  switch (b.case) {
    case "get":
    case "put":
    case "delete":
    case "expire":
    case "compareAndSet":
    case "increment":
      return [keySpan(b.value.key)];
    case "batch":
      return b.value.ops.flatMap((o) => o.op.value === undefined ? [] : [keySpan(o.op.value.key)]);
    case "scan":
      return [scanSpan(b.value)];
    case "redisKeys": // a read command: its keys; an SSCAN page: its set's key; else the span
      if (b.value.command.length > 0) return commandSpans(b.value.command);
      return [
        b.value.setScan ? keySpan(b.value.setKey) : { start: b.value.start, end: b.value.end },
      ];
    case "txn":
      return [
        ...b.value.compare.map((c) => keySpan(c.key)),
        ...[...b.value.success, ...b.value.failure].flatMap(txnOpSpans),
      ];
    default:
      return undefined;
  }
}

/** A Redis command's keys (by the command table; none for a malformed one, refused later). */
function commandSpans(args: readonly Uint8Array[]): KeySpan[] {
  const spans: KeySpan[] = [];
  for (const [key] of keysOf(lowerName(args[0]), args)) {
    if (key !== undefined) spans.push(keySpan(key));
  }
  return spans;
}

/** A scan's keys: the prefix's range narrowed by start and end (the cursor only narrows more). */
function scanSpan(s: ScanRequest): KeySpan {
  return scanSpanOf(s.prefix, s.start, s.end);
}

function rangeSpan(r: KeyRange): KeySpan {
  if (isSingleKey(r)) return keySpan(r.key);
  return { start: r.key, end: isOpenEnded(r) ? EMPTY : r.rangeEnd };
}

function txnOpSpans(o: TxnOp): KeySpan[] {
  const op = o.op;
  if (op.case === "range") return [rangeSpan(op.value)];
  if (op.case === "put") return [keySpan(op.value.key)];
  if (op.case === "deleteRange") return [rangeSpan(op.value)];
  return [];
}
