/**
 * The keys a replicated command touches, for routing it to the region that holds them
 * (region_router.ts). A span is one key or an etcd range [key, rangeEnd). Commands with no key
 * (lease grants and revokes, compaction) are region 1's; commands over the whole keyspace
 * (FLUSHDB, FLUSHALL, DBSIZE in MULTI) touch every region.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CommandSchema,
  type RedisRequestSchema,
  type TxnOp,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { KeyRange } from "../../kv/key_state.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import { keysOf } from "../../kv/redis/command_keys.ts";

export type CommandSpans =
  | { readonly kind: "keys"; readonly spans: readonly KeyRange[]; readonly leased: boolean }
  | { readonly kind: "unkeyed" }
  | { readonly kind: "everything" };

/**
 * Commands of a Redis run over every region. DBSIZE too: in MULTI it runs at apply in one region,
 * which counts only its own keys (a lone DBSIZE is a read, summed over the regions elsewhere).
 */
const WHOLE_KEYSPACE = new Set(["flushdb", "flushall", "dbsize"]);
const NONE = new Uint8Array(0);

function one(key: Uint8Array): KeyRange {
  return { key, rangeEnd: NONE };
}

function txnOpSpan(op: TxnOp): KeyRange[] {
  const o = op.op;
  if (o.case === "put") return [one(o.value.key)];
  if (o.case === "range" || o.case === "deleteRange") {
    return [{ key: o.value.key, rangeEnd: o.value.rangeEnd }];
  }
  return [];
}

/**
 * What a Redis request touches, read from the request as given (no message is built: a write
 * batch on a split node asks this of each of its requests, redis_batch_regions.ts).
 */
export function redisRequestSpans(r: MessageInitShape<typeof RedisRequestSchema>): CommandSpans {
  const spans: KeyRange[] = (r.watches ?? []).map((w) => one(w.key ?? NONE));
  for (const c of r.commands ?? []) {
    const args = c.args ?? [];
    if (args.length === 0) continue;
    const name = fromUtf8(args[0]).toLowerCase();
    if (WHOLE_KEYSPACE.has(name)) return { kind: "everything" };
    for (const [key] of keysOf(name, args)) if (key !== undefined) spans.push(one(key));
  }
  return spans.length === 0 ? { kind: "unkeyed" } : { kind: "keys", spans, leased: false };
}

/** What `init` touches (a Redis batch is routed request by request, not here). */
export function commandSpans(init: CommandInit): CommandSpans {
  const c = create(CommandSchema, init);
  const b = c.body;
  const keys = (spans: KeyRange[], leased = false): CommandSpans => ({
    kind: "keys",
    spans,
    leased,
  });
  switch (b.case) {
    case "put":
      return keys([one(b.value.key)], b.value.lease !== 0n);
    case "delete":
    case "increment":
    case "compareAndSet":
    case "expire":
      return keys([one(b.value.key)]);
    case "expireKeys":
      return keys([...b.value.keys, ...b.value.redisKeys.map((r) => r.key)].map(one));
    case "batch":
      return keys(
        b.value.ops.flatMap((op) => op.op.case === undefined ? [] : [one(op.op.value.key)]),
      );
    case "txn": {
      const t = b.value;
      const spans = [...t.compare.map((x) => one(x.key))];
      for (const op of [...t.success, ...t.failure]) spans.push(...txnOpSpan(op));
      const leased = [...t.success, ...t.failure].some((op) =>
        op.op.case === "put" && op.op.value.lease !== 0n
      );
      return keys(spans, leased);
    }
    case "redis":
      return redisRequestSpans(b.value);
    default:
      return { kind: "unkeyed" };
  }
}
