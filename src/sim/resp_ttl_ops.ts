/**
 * RESP operations on the keys with an expiry (the `x/` keys of ttl_ops.ts,
 * shared with the protobuf clients): SET with PX (a TTL of a few hundred ms
 * to a few s, on the replicated clock), SET with KEEPTTL, a plain SET (which
 * clears the expiry) and GET. They join the expiry check (ttl_check.ts) like
 * the protobuf ones; a GET does not report the key's expiry, so the check
 * requires the state it returned to be one whose expiry (if any) had not
 * come by the GET's call. Times are the simulated wall clock's.
 */
import type { Outcome } from "./history.ts";
import { type RespClient, RespErrorReply, type RespReply } from "./resp_client.ts";
import type { RespOpContext } from "./resp_ops.ts";
import { errorOutcome, showReply, status, text, WrongReply } from "./resp_replies.ts";
import { TTL_KEYS, TTL_MAX_MS, TTL_MIN_MS, type TtlOp } from "./ttl_ops.ts";

type Plan = Pick<TtlOp, "kind" | "key" | "value" | "ttlMs" | "keepTtl">;

function plan(x: RespOpContext): Plan {
  const key = TTL_KEYS[x.prng.int(TTL_KEYS.length)];
  const roll = x.prng.nextFloat();
  if (roll < 0.4) {
    const ttlMs = TTL_MIN_MS + x.prng.int(TTL_MAX_MS - TTL_MIN_MS + 1);
    return { kind: "put", key, value: x.freshValue(), ttlMs };
  }
  if (roll < 0.5) return { kind: "put", key, value: x.freshValue(), keepTtl: true };
  if (roll < 0.6) return { kind: "put", key, value: x.freshValue() };
  return { kind: "get", key };
}

function command(p: Plan): string[] {
  if (p.kind === "get") return ["GET", p.key];
  const set = ["SET", p.key, p.value ?? ""];
  if (p.ttlMs !== undefined) return [...set, "PX", String(p.ttlMs)];
  return p.keepTtl === true ? [...set, "KEEPTTL"] : set;
}

/** Runs one operation on a TTL key and records it; false: reconnect. */
export async function runRespTtl(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const p = plan(x);
  const write = p.kind === "put", args = command(p);
  const call = x.wallMs(), start = x.now();
  let outcome: Outcome = "ok", seen: TtlOp["seen"], detail: string, connected = true;
  try {
    const reply: RespReply = await conn.call(args);
    detail = showReply(reply);
    if (reply instanceof RespErrorReply) {
      outcome = errorOutcome(reply, write);
      connected = reply.code === "TRYAGAIN";
    } else if (write) {
      status(reply, "OK");
    } else {
      const value = text(reply);
      seen = value === "" ? [] : [{ key: p.key, value }];
    }
  } catch (err) {
    if (err instanceof WrongReply) throw err;
    outcome = write ? "unknown" : "fail";
    detail = String(err);
    connected = false;
  }
  const ret = outcome === "unknown" ? Infinity : x.wallMs();
  x.history.ttlOps.push({ ...p, client: x.client, call, ret, outcome, seen });
  x.history.redis.ttl++;
  const name = `resp ttl ${args[0]}`;
  const end = x.now();
  x.history.complete({
    client: x.client,
    name,
    call: start,
    ret: end,
    outcome,
    detail: `${args.join(" ")} = ${detail}`,
  });
  return connected;
}
