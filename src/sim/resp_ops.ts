/**
 * One operation of a RESP-port client: the command it sends and how the
 * reply enters the history. `-TRYAGAIN` and `-CLUSTERDOWN` mean "not applied"
 * (docs/resp.md); any other error, a dropped connection or a missing reply
 * leaves a write's outcome unknown.
 */
import type { Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import { revOpOf } from "./rev_convert.ts";
import { type RespClient, RespErrorReply, type RespReply } from "./resp_client.ts";
import { runRespMulti } from "./resp_multi_ops.ts";
import { runRespTtl } from "./resp_ttl_ops.ts";
import { runRespDb1 } from "./resp_db_ops.ts";
import { errorOutcome, integer, text, WrongReply } from "./resp_replies.ts";
import type { OpContext } from "./proto_ops.ts";

/** What a RESP operation needs: a protobuf client's context without its client library. */
export interface RespOpContext extends Omit<OpContext, "api" | "bank"> {
  /** Resolves after `ms` of virtual time (an operation that waits for a key to expire). */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface RespPlan {
  readonly args: string[];
  readonly write: boolean;
  /** The register operations as recorded when the outcome is unknown. */
  readonly intended: Op[];
  /** The register operations the reply shows; throws on a reply of the wrong shape. */
  readonly read: (reply: RespReply) => Op[];
}

/** The shares of MULTI/EXEC blocks, of operations on TTL keys and of database 1's. */
const MULTI_SHARE = 0.15;
const TTL_SHARE = 0.1;
const DB1_SHARE = 0.1;
/** Of the MULTI share: 2-4 commands pipelined on one connection (the port batches writes). */
const PIPELINE_SHARE = 0.05;

const op = (o: Omit<Op, "call" | "ret">): Op => ({ ...o, call: 0, ret: 0 });

function planRespOp(x: RespOpContext): RespPlan {
  const roll = x.prng.nextFloat();
  const key = x.keys.register(x.prng);
  const value = x.freshValue();
  if (roll < 0.25) {
    return { args: ["GET", key], write: false, intended: [], read: (r) => [get(key, text(r))] };
  }
  if (roll < 0.45) {
    const put = [op({ kind: "put", key, value })];
    return { args: ["SET", key, value], write: true, intended: put, read: (r) => ok(r, put) };
  }
  if (roll < 0.55) {
    return {
      args: ["DEL", key],
      write: true,
      intended: [op({ kind: "delete", key, value: "" })],
      read: (r) => [op({ kind: "delete", key, value: "", existed: integer(r) === 1 })],
    };
  }
  if (roll < 0.72) {
    const counter = x.keys.counter(x.prng);
    if (x.prng.chance(0.3)) {
      return {
        args: ["GET", counter],
        write: false,
        intended: [],
        read: (r) => [get(counter, text(r))],
      };
    }
    return {
      args: ["INCR", counter],
      write: true,
      intended: [op({ kind: "incr", key: counter, value: "", delta: 1 })],
      read: (r) => [op({ kind: "incr", key: counter, value: String(integer(r)), delta: 1 })],
    };
  }
  return planMulti(x, value);
}

function planMulti(x: RespOpContext, value: string): RespPlan {
  const keys = [...new Set([x.keys.register(x.prng), x.keys.register(x.prng)])];
  if (x.prng.chance(0.5)) {
    return {
      args: ["MGET", ...keys],
      write: false,
      intended: [],
      read: (r) => {
        if (!Array.isArray(r) || r.length !== keys.length) throw new WrongReply("MGET reply");
        return keys.map((k, i) => get(k, text(r[i])));
      },
    };
  }
  const puts = keys.map((k, i) => op({ kind: "put", key: k, value: `${value}.${i}` }));
  return {
    args: ["MSET", ...puts.flatMap((p) => [p.key, p.value])],
    write: true,
    intended: puts,
    read: (r) => ok(r, puts),
  };
}

function get(key: string, value: string): Op {
  return op({ kind: "get", key, value });
}

function ok(reply: RespReply, ops: Op[]): Op[] {
  if (reply !== "OK") throw new WrongReply(`expected OK, got ${JSON.stringify(reply)}`);
  return ops;
}

/**
 * Runs one randomly chosen command on `conn` and records it. Resolves false
 * when the connection failed or the node cannot serve (the caller connects
 * to a node picked at random).
 */
export async function runRespOp(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const roll = x.prng.nextFloat();
  if (roll < PIPELINE_SHARE) return await runRespPipeline(x, conn);
  if (roll < MULTI_SHARE) return await runRespMulti(x, conn);
  if (roll < MULTI_SHARE + TTL_SHARE) return await runRespTtl(x, conn);
  if (roll < MULTI_SHARE + TTL_SHARE + DB1_SHARE) return await runRespDb1(x, conn);
  return (await runRespPlan(x, conn, planRespOp(x))).connected;
}

/**
 * Several commands sent at once on one connection, each recorded as its own operation:
 * their writes reach the leader in one turn and go into one batch log entry.
 */
async function runRespPipeline(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const plans = Array.from({ length: x.prng.range(2, 6) }, () => planRespOp(x));
  const done = await Promise.all(plans.map((p) => runRespPlan(x, conn, p)));
  return done.every((d) => d.connected);
}

/** A plain `SET key value`, as an operation to run with runRespPlan. */
export function setPlan(key: string, value: string): RespPlan {
  const put = [op({ kind: "put", key, value })];
  return { args: ["SET", key, value], write: true, intended: put, read: (r) => ok(r, put) };
}

/** Runs one planned command on `conn` and records it; connected false: reconnect. */
export async function runRespPlan(
  x: RespOpContext,
  conn: RespClient,
  plan: RespPlan,
): Promise<{ outcome: Outcome; connected: boolean }> {
  const call = x.now();
  let outcome: Outcome = "ok";
  let ops = plan.intended;
  let detail = plan.args.join(" ");
  let connected = true;
  try {
    const reply = await conn.call(plan.args);
    if (reply instanceof RespErrorReply) {
      outcome = errorOutcome(reply, plan.write);
      detail += ` ${reply.message.slice(0, 60)}`;
      // A client moves to another node unless told to just try again.
      connected = reply.code === "TRYAGAIN";
    } else {
      ops = plan.read(reply);
      detail += ` = ${JSON.stringify(reply)}`;
    }
  } catch (err) {
    // A reply of the wrong shape is a server bug: the checker sees it as an impossible read.
    if (err instanceof WrongReply) throw err;
    outcome = plan.write ? "unknown" : "fail";
    detail += ` ${String(err)}`;
    connected = false;
  }
  const ret = x.now();
  if (outcome === "ok") x.keys.observe(ops);
  for (const o of ops) x.history.check({ ...o, call, ret }, outcome);
  const name = `resp ${plan.args[0]}`;
  x.history.revision(revOpOf({ client: x.client, name, call, ret, outcome, ops }));
  x.history.complete({
    client: x.client,
    name,
    call,
    ret,
    outcome,
    detail,
  });
  return { outcome, connected };
}
