/**
 * RESP operations in database 1 (SELECT 1 … SELECT 0 on the client's
 * connection) on the same key names as database 0's registers. They enter the
 * per-key history under the key `db1:<name>`, a register of its own: since
 * every value written is unique, a read in either database that returned a
 * value written in the other is a read of a value never written to its
 * register, and the linearizability check fails; a database-1 write that
 * landed in database 0 is, for the revision checker, a change no operation
 * made. Database 1's keys have no history, so only the per-key check sees
 * them.
 */
import type { Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import { type RespClient, RespErrorReply } from "./resp_client.ts";
import type { RespOpContext } from "./resp_ops.ts";
import { errorOutcome, integer, showReply, status, text, WrongReply } from "./resp_replies.ts";

export const DB1_PREFIX = "db1:";

interface Plan {
  readonly args: string[];
  readonly write: boolean;
  readonly intended: Omit<Op, "call" | "ret">;
  readonly read: (reply: string | number | null) => Omit<Op, "call" | "ret">;
}

function plan(x: RespOpContext): Plan {
  const name = x.keys.register(x.prng), key = DB1_PREFIX + name;
  const roll = x.prng.nextFloat();
  if (roll < 0.45) {
    const put = { kind: "put" as const, key, value: x.freshValue() };
    return { args: ["SET", name, put.value], write: true, intended: put, read: () => put };
  }
  if (roll < 0.55) {
    const del = { kind: "delete" as const, key, value: "" };
    const read = (r: string | number | null) => ({ ...del, existed: integer(r) === 1 });
    return { args: ["DEL", name], write: true, intended: del, read };
  }
  const get = { kind: "get" as const, key, value: "" };
  return {
    args: ["GET", name],
    write: false,
    intended: get,
    read: (r) => ({ ...get, value: text(r) }),
  };
}

/** Runs one command in database 1 and records it; false: reconnect. */
export async function runRespDb1(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const p = plan(x);
  const call = x.now();
  const sent = [["SELECT", "1"], p.args, ["SELECT", "0"]].map((c) => conn.call(c));
  let outcome: Outcome = "ok", o = p.intended, detail = p.args.join(" "), connected = true;
  try {
    const [into, reply, back] = await Promise.all(sent);
    status(into, "OK");
    status(back, "OK");
    detail += ` = ${showReply(reply)}`;
    if (reply instanceof RespErrorReply) {
      outcome = errorOutcome(reply, p.write);
      connected = reply.code === "TRYAGAIN";
    } else if (Array.isArray(reply)) {
      throw new WrongReply(`expected no array, got ${showReply(reply)}`);
    } else {
      o = p.read(reply);
    }
  } catch (err) {
    if (err instanceof WrongReply) throw err;
    await Promise.allSettled(sent);
    outcome = p.write ? "unknown" : "fail";
    detail += ` ${String(err)}`;
    connected = false;
  }
  const ret = x.now();
  x.history.check({ ...o, call, ret }, outcome, false);
  x.history.redis.db1++;
  x.history.complete({
    client: x.client,
    name: `resp db1 ${p.args[0]}`,
    call,
    ret,
    outcome,
    detail,
  });
  return connected;
}
