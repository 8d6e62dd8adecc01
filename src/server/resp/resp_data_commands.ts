/**
 * RESP commands that read or write data: GET SET DEL EXISTS MGET MSET
 * INCR DECR INCRBY DECRBY SCAN KEYS DBSIZE. Reads use the node's configured
 * consistency (linearizable by default); writes go through the Raft log.
 */
import { PutCondition } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { checkKey, checkValue } from "../../kv/command_codec.ts";
import { RESP_KEYS_MAX, SCAN_LIMIT_MAX } from "../../limits.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import {
  parseInteger,
  type Reply,
  RespCommandError,
  type RespCommandSpec,
  type RespContext,
} from "./resp_command.ts";

const upper = (b: Uint8Array) => fromUtf8(b).toUpperCase();

function key(arg: Uint8Array): Uint8Array {
  const why = checkKey(arg);
  if (why !== undefined) throw new RespCommandError(why);
  return arg;
}

function value(arg: Uint8Array): Uint8Array {
  const why = checkValue(arg);
  if (why !== undefined) throw new RespCommandError(why);
  return arg;
}

async function set(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  let condition = PutCondition.UNSPECIFIED;
  let returnPrevious = false;
  for (const opt of args.slice(3).map(upper)) {
    if (opt === "NX" && condition === PutCondition.UNSPECIFIED) condition = PutCondition.IF_ABSENT;
    else if (opt === "XX" && condition === PutCondition.UNSPECIFIED) {
      condition = PutCondition.IF_PRESENT;
    } else if (opt === "GET") returnPrevious = true;
    else if (["EX", "PX", "EXAT", "PXAT", "KEEPTTL"].includes(opt)) {
      throw new RespCommandError("TinyKV keys do not expire: EX/PX/EXAT/PXAT/KEEPTTL unsupported");
    } else throw new RespCommandError("syntax error");
  }
  const r = await ctx.service.write({
    body: {
      case: "put",
      value: { key: key(args[1]), value: value(args[2]), condition, returnPrevious },
    },
  });
  if (returnPrevious) return (w) => w.bulk(r.existed ? r.previousValue : undefined);
  return (w) => r.applied ? w.ok() : w.null();
}

async function del(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const keys = args.slice(1).map(key);
  const r = await ctx.service.write({
    body: {
      case: "batch",
      value: { ops: keys.map((k) => ({ op: { case: "delete", value: { key: k } } })) },
    },
  });
  return (w) => w.integer(r.deleted);
}

async function mset(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  if (args.length % 2 !== 1) throw new RespCommandError("wrong number of arguments for 'mset'");
  const ops = [];
  for (let i = 1; i < args.length; i += 2) {
    ops.push({
      op: { case: "put" as const, value: { key: key(args[i]), value: value(args[i + 1]) } },
    });
  }
  await ctx.service.write({ body: { case: "batch", value: { ops } } });
  return (w) => w.ok();
}

function increment(sign: 1n | -1n, fixed?: bigint) {
  return async (ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> => {
    const delta = sign * (fixed ?? parseInteger(args[2]));
    if (delta > 2n ** 63n - 1n) throw new RespCommandError("decrement would overflow");
    const r = await ctx.service.write({
      body: { case: "increment", value: { key: key(args[1]), delta } },
    });
    return (w) => w.integer(Number(r.counter));
  };
}

async function get(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const v = await ctx.service.get(key(args[1]), ctx.consistency);
  return (w) => w.bulk(v.state?.value);
}

async function mget(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const values = await Promise.all(
    args.slice(1).map((k) => ctx.service.get(key(k), ctx.consistency)),
  );
  return (w) => {
    w.arrayHeader(values.length);
    for (const v of values) w.bulk(v.state?.value);
  };
}

async function exists(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const values = await Promise.all(
    args.slice(1).map((k) => ctx.service.get(key(k), ctx.consistency)),
  );
  return (w) => w.integer(values.filter((v) => v.state !== undefined).length);
}

/** MATCH supports exactly the patterns a prefix scan can answer: `prefix*` or `*`. */
function matchPrefix(pattern: Uint8Array): Uint8Array {
  const text = fromUtf8(pattern);
  const body = text.endsWith("*") ? text.slice(0, -1) : text;
  if (/[*?[\]\\]/.test(body) || !text.endsWith("*")) {
    throw new RespCommandError("TinyKV supports MATCH/KEYS patterns of the form prefix* only");
  }
  return utf8(body);
}

async function scan(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const cursorText = fromUtf8(args[1]);
  if (!/^\d{1,16}$/.test(cursorText)) throw new RespCommandError("invalid cursor");
  const resume = ctx.cursors.lookup(Number(cursorText));
  if (resume === undefined) {
    throw new RespCommandError("invalid cursor (expired or from another node)");
  }
  let prefix: Uint8Array = new Uint8Array(0);
  let count = 10;
  for (let i = 2; i < args.length; i += 2) {
    const opt = upper(args[i]);
    const arg = args[i + 1];
    if (arg === undefined) throw new RespCommandError("syntax error");
    if (opt === "MATCH") prefix = matchPrefix(arg);
    else if (opt === "COUNT") count = Number(parseInteger(arg));
    else if (opt === "TYPE") {
      if (upper(arg) !== "STRING") return (w) => w.arrayHeader(2).bulkString("0").arrayHeader(0);
    } else throw new RespCommandError("syntax error");
  }
  if (count < 1) throw new RespCommandError("syntax error");
  const page = await ctx.service.scan(
    { prefix, cursor: resume ?? undefined, limit: Math.min(count, SCAN_LIMIT_MAX) },
    ctx.consistency,
  );
  const next = page.nextCursor === undefined ? 0 : ctx.cursors.save(page.nextCursor);
  return (w) => {
    w.arrayHeader(2).bulkString(String(next)).arrayHeader(page.items.length);
    for (const item of page.items) w.bulk(item.key);
  };
}

async function keys(ctx: RespContext, args: readonly Uint8Array[]): Promise<Reply> {
  const prefix = matchPrefix(args[1]);
  const found: Uint8Array[] = [];
  let cursor: Uint8Array | undefined;
  do {
    const page = await ctx.service.scan({ prefix, cursor, limit: SCAN_LIMIT_MAX }, ctx.consistency);
    for (const item of page.items) found.push(item.key);
    if (found.length > RESP_KEYS_MAX) {
      throw new RespCommandError(`KEYS would return more than ${RESP_KEYS_MAX} keys; use SCAN`);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return (w) => {
    w.arrayHeader(found.length);
    for (const k of found) w.bulk(k);
  };
}

async function dbsize(ctx: RespContext): Promise<Reply> {
  const n = await ctx.service.count(ctx.consistency);
  return (w) => w.integer(n);
}

export const DATA_COMMANDS: Record<string, RespCommandSpec> = {
  GET: { arity: 2, kind: "read", run: get },
  MGET: { arity: -2, kind: "read", run: mget },
  EXISTS: { arity: -2, kind: "read", run: exists },
  SCAN: { arity: -2, kind: "read", run: scan },
  KEYS: { arity: 2, kind: "read", run: keys },
  DBSIZE: { arity: 1, kind: "read", run: dbsize },
  SET: { arity: -3, kind: "write", run: set },
  DEL: { arity: -2, kind: "write", run: del },
  UNLINK: { arity: -2, kind: "write", run: del },
  MSET: { arity: -3, kind: "write", run: mset },
  INCR: { arity: 2, kind: "write", run: increment(1n, 1n) },
  DECR: { arity: 2, kind: "write", run: increment(-1n, 1n) },
  INCRBY: { arity: 3, kind: "write", run: increment(1n) },
  DECRBY: { arity: 3, kind: "write", run: increment(-1n) },
};
