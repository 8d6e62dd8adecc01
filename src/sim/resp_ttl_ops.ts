/**
 * RESP operations on the keys with an expiry (the `x/` keys of ttl_ops.ts,
 * shared with the protobuf clients): SET with PX (a TTL of a few hundred ms
 * to a few s, on the replicated clock), SET with KEEPTTL, a plain SET (which
 * clears the expiry) and GET. They join the expiry check (ttl_check.ts) like
 * the protobuf ones; a GET does not report the key's expiry, so the check
 * requires the state it returned to be one whose expiry (if any) had not
 * come by the GET's call. Times are the simulated wall clock's.
 *
 * A third of them are probes: a SET with a short PX, then, once the TTL has
 * passed since its return (so the key has expired by the replicated clock),
 * a GET, which must not return it. Expired keys are swept within about
 * 100 ms, so a read that does not hide them is caught only by reads in that
 * window; a probe lands in it on purpose.
 */
import type { Outcome } from "./history.ts";
import { type RespClient, RespErrorReply, type RespReply } from "./resp_client.ts";
import type { RespOpContext } from "./resp_ops.ts";
import { errorOutcome, showReply, status, text, WrongReply } from "./resp_replies.ts";
import { TTL_KEYS, TTL_MAX_MS, TTL_MIN_MS, type TtlOp } from "./ttl_ops.ts";

type Plan = Pick<TtlOp, "kind" | "key" | "value" | "ttlMs" | "keepTtl">;

/** The probes' TTLs (ms) and how long after the TTL they read, at most. */
const PROBE_TTL_MIN_MS = 20;
const PROBE_TTL_MAX_MS = 300;
const PROBE_LATE_MS = 60;

function plan(x: RespOpContext, key: string): Plan {
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

/** Runs one operation (or a probe) on a TTL key and records it; false: reconnect. */
export async function runRespTtl(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const key = TTL_KEYS[x.prng.int(TTL_KEYS.length)];
  if (!x.prng.chance(1 / 3)) return (await runOne(x, conn, plan(x, key))).connected;
  const ttlMs = PROBE_TTL_MIN_MS + x.prng.int(PROBE_TTL_MAX_MS - PROBE_TTL_MIN_MS + 1);
  const set = await runOne(x, conn, { kind: "put", key, value: x.freshValue(), ttlMs });
  if (set.outcome !== "ok" || !set.connected) return set.connected;
  await x.sleep(ttlMs + x.prng.int(PROBE_LATE_MS + 1));
  return (await runOne(x, conn, { kind: "get", key })).connected;
}

async function runOne(
  x: RespOpContext,
  conn: RespClient,
  p: Plan,
): Promise<{ outcome: Outcome; connected: boolean }> {
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
  return { outcome, connected };
}
