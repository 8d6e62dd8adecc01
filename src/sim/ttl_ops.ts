/**
 * Operations of the protobuf clients on keys with an expiry (issue 11's
 * per-key TTL): puts with a TTL (a few hundred ms to a few s), puts that keep
 * the expiry, plain puts that clear it, `expire` with a TTL or persist, and
 * linearizable gets and scans of the TTL keys. Only the expiry check
 * (ttl_check.ts) reads them, by wall-clock times (the simulator's one wall
 * clock, whole ms, no skew). Every put writes a value no other write uses.
 */
import { TinyKvError } from "../client/errors.ts";
import type { KeyEntry } from "../client/tinykv_client.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { Outcome } from "./history.ts";
import type { OpContext } from "./proto_ops.ts";
import { prefixRange } from "./rev_model.ts";

export const TTL_PREFIX = "x/";
export const TTL_KEYS = ["x/0", "x/1", "x/2", "x/3"];
export const TTL_MIN_MS = 200;
export const TTL_MAX_MS = 3000;

/** A key a read returned. */
export interface TtlSeen {
  readonly key: string;
  readonly value: string;
  /** The expiry it reported (undefined: the read does not report it, as a RESP GET). */
  readonly expireAtMs?: number;
}

export interface TtlOp {
  readonly client: string;
  readonly kind: "put" | "expire" | "get" | "scan" | "txn";
  /** The key (a scan: the prefix). */
  readonly key: string;
  /** Wall-clock ms when it was called and returned (Infinity: unknown outcome). */
  readonly call: number;
  readonly ret: number;
  readonly outcome: Outcome;
  /** A put's value. */
  readonly value?: string;
  /** The TTL a put or an expire asked for. */
  readonly ttlMs?: number;
  readonly keepTtl?: boolean;
  readonly persist?: boolean;
  /** The revision an ok put or transaction reported. */
  readonly revision?: number;
  /** What an ok read returned. */
  readonly seen?: readonly TtlSeen[];
}

type Plan = Pick<TtlOp, "kind" | "key" | "value" | "ttlMs" | "keepTtl" | "persist">;

function plan(x: OpContext): Plan {
  const key = TTL_KEYS[x.prng.int(TTL_KEYS.length)];
  const ttlMs = TTL_MIN_MS + x.prng.int(TTL_MAX_MS - TTL_MIN_MS + 1);
  const roll = x.prng.nextFloat();
  if (roll < 0.3) return { kind: "put", key, value: x.freshValue(), ttlMs };
  if (roll < 0.4) return { kind: "put", key, value: x.freshValue(), keepTtl: true };
  if (roll < 0.45) return { kind: "put", key, value: x.freshValue() };
  if (roll < 0.5) return { kind: "expire", key, ttlMs };
  if (roll < 0.55) return { kind: "expire", key, persist: true };
  if (roll < 0.75) return { kind: "get", key };
  if (roll < 0.9) return { kind: "scan", key: TTL_PREFIX };
  return { kind: "txn", key: TTL_PREFIX };
}

const seenOf = (e: KeyEntry): TtlSeen => ({
  key: fromUtf8(e.key),
  value: fromUtf8(e.value),
  expireAtMs: e.expireAtMs,
});

/** Sends the planned operation; resolves with what an ok one reported. */
async function send(x: OpContext, p: Plan): Promise<Partial<TtlOp>> {
  if (p.kind === "put") {
    const o = p.ttlMs !== undefined ? { ttlMs: p.ttlMs } : { keepTtl: p.keepTtl ?? false };
    return { revision: await x.api.put(p.key, p.value ?? "", o) };
  }
  if (p.kind === "expire") {
    const o = p.persist === true ? { persist: true } : { ttlMs: p.ttlMs };
    await x.api.expire(p.key, o);
    return {};
  }
  if (p.kind === "get") {
    const e = await x.api.getEntry(p.key, { consistency: "linearizable" });
    return { seen: e === undefined ? [] : [seenOf(e)] };
  }
  if (p.kind === "txn") {
    // A transaction reads at apply, by the command's time, and reports its revision.
    const range = { key: p.key, rangeEnd: prefixRange(p.key).end };
    const r = await x.api.txn({ compare: [], success: [{ range }] });
    const first = r.results[0];
    const seen = first !== undefined && "range" in first ? first.range.kvs.map(seenOf) : [];
    return { seen, revision: r.revision };
  }
  const page = await x.api.scan({ prefix: p.key, limit: 100, consistency: "linearizable" });
  return { seen: page.items.map(seenOf) };
}

/** Runs one operation on the TTL keys and records it. */
export async function runTtlOp(x: OpContext): Promise<void> {
  const p = plan(x);
  const write = p.kind === "put" || p.kind === "expire";
  const call = x.wallMs(), start = x.now();
  let outcome: Outcome = "ok", reported: Partial<TtlOp> = {}, error = "";
  try {
    reported = await send(x, p);
  } catch (err) {
    outcome = !write || (err instanceof TinyKvError && !err.outcomeUnknown) ? "fail" : "unknown";
    error = err instanceof TinyKvError ? ` ${err.code}` : ` ${String(err)}`;
  }
  const ret = outcome === "unknown" ? Infinity : x.wallMs();
  x.history.ttlOps.push({ ...p, ...reported, client: x.client, call, ret, outcome });
  const what = p.value !== undefined ? `${p.key}=${p.value}` : p.key;
  const how = p.ttlMs !== undefined ? ` ttl ${p.ttlMs}` : p.keepTtl ? " keepttl" : "";
  const seen = reported.seen?.map((s) => `${s.key}=${s.value}`).join(",");
  x.history.complete({
    client: x.client,
    name: `ttl ${p.kind}`,
    call: start,
    ret: x.now(),
    outcome,
    detail: `${what}${p.persist ? " persist" : how}${seen === undefined ? "" : ` [${seen}]`}` +
      error,
  });
}
