/**
 * MULTI/EXEC blocks of the RESP clients (docs/simulation.md): an EXEC runs
 * its block as one replicated request, so an EXEC that answered an array
 * applied all of it at one revision, one that answered a null array (a WATCH
 * conflict) changed nothing, and one whose answer was lost may have applied,
 * but only whole. Each block enters the per-key history (one operation per
 * key with the block's call and return times) and the revision checker as one
 * transaction: its unique SET value places it, and the revision must hold
 * exactly the block's changes (increments included, by their values).
 *
 * - counters: MULTI; INCR n/0; INCR n/1; SET r/k v; EXEC
 * - transfers: WATCH b/0 b/1; GET b/0; GET b/1; MULTI; SET b/0 ..; SET b/1 ..; EXEC,
 *   moving an amount between two balances (bank_check.ts). The transaction
 *   the revision checker gets compares both keys with what the GETs read, so
 *   an EXEC that ran though a watched key had changed since is caught there
 *   as well as by the balances' sum. Transfers also watch `b/t`, and some
 *   SET it themselves between the GETs and MULTI, so their EXEC must answer
 *   nil; the others pause a little there, so that two
 *   clients' transfers overlap more often.
 * - reads of both balances with MGET, for the bank check.
 */
import type { Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import { type RespClient, RespErrorReply, type RespReply } from "./resp_client.ts";
import { type RespOpContext, runRespPlan, setPlan } from "./resp_ops.ts";
import { errorOutcome, integer, showReply, status, text, WrongReply } from "./resp_replies.ts";
import { revOpOf } from "./rev_convert.ts";
import type { RevCompare, RevOp, RevResult, RevTxnOp } from "./rev_txn.ts";
import { balanceOf, balanceValue, BANK_KEYS } from "./bank_check.ts";

/** The share of transfers that change a watched key themselves before MULTI. */
const TOUCH_SHARE = 0.15;
/** A key every transfer watches besides the balances: the one a transfer touches. */
const TOUCH_KEY = "b/t";
/** The longest pause of the others between their GETs and MULTI (virtual ms). */
const THINK_MS = 30;

const op = (o: Omit<Op, "call" | "ret">): Op => ({ ...o, call: 0, ret: 0 });

interface ExecEnd {
  readonly outcome: Outcome;
  /** The replies of the block's commands, when EXEC answered an array. */
  readonly replies?: readonly RespReply[];
  /** EXEC answered a null array. */
  readonly aborted?: boolean;
  readonly detail: string;
  readonly connected: boolean;
}

/** Sends MULTI, the commands and EXEC at once; what EXEC answered. */
async function execBlock(conn: RespClient, commands: string[][]): Promise<ExecEnd> {
  const sent = [["MULTI"], ...commands, ["EXEC"]].map((c) => conn.call(c));
  let replies: RespReply[];
  try {
    replies = await Promise.all(sent);
  } catch (err) {
    return { outcome: "unknown", detail: String(err), connected: false };
  }
  status(replies[0], "OK");
  const queued = replies.slice(1, -1), exec = replies[replies.length - 1];
  const refused = queued.some((r) => r instanceof RespErrorReply);
  if (!refused) { for (const r of queued) status(r, "QUEUED"); }
  if (exec instanceof RespErrorReply) {
    const connected = exec.code === "TRYAGAIN";
    return { outcome: errorOutcome(exec, true), detail: showReply(exec), connected };
  }
  if (refused) throw new WrongReply(`EXEC ran a block it refused to queue: ${showReply(exec)}`);
  if (exec === null) return { outcome: "fail", aborted: true, detail: "nil", connected: true };
  if (!Array.isArray(exec) || exec.length !== commands.length) {
    throw new WrongReply(`EXEC of ${commands.length} commands answered ${showReply(exec)}`);
  }
  return { outcome: "ok", replies: exec, detail: showReply(exec), connected: true };
}

/** Records a block: its per-key operations, its transaction and its trace line. */
function record(
  x: RespOpContext,
  name: string,
  call: number,
  end: ExecEnd,
  ops: readonly Op[],
  txn: (ret: number) => RevOp,
): void {
  const ret = x.now();
  for (const o of ops) x.history.check({ ...o, call, ret }, end.outcome);
  x.history.revision(txn(end.outcome === "unknown" ? Infinity : ret));
  const r = x.history.redis;
  if (end.outcome === "ok") r.execOk++;
  else if (end.aborted === true) r.execNull++;
  else if (end.outcome === "unknown") r.execUnknown++;
  x.history.complete({
    client: x.client,
    name,
    call,
    ret,
    outcome: end.outcome,
    detail: end.detail,
  });
}

/** MULTI; INCR n/0; INCR n/1 (in either order); SET r/k v; EXEC. */
async function counterBlock(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const counters = x.prng.chance(0.5) ? [...x.keys.counters] : [...x.keys.counters].reverse();
  const key = x.keys.register(x.prng), value = x.freshValue();
  const call = x.now();
  const end = await execBlock(conn, [...counters.map((c) => ["INCR", c]), ["SET", key, value]]);
  const replies = end.replies;
  if (replies !== undefined) status(replies[counters.length], "OK");
  const incrs = counters.map((c, i) =>
    op({ kind: "incr", key: c, value: replies ? String(integer(replies[i])) : "", delta: 1 })
  );
  const success: RevTxnOp[] = [
    ...incrs.map((o) => ({ put: { key: o.key, value: o.value, incrBy: 1 } })),
    { put: { key, value } },
  ];
  const result: RevResult = {
    succeeded: true,
    results: [...incrs.map((o) => ({ kvs: [{ key: o.key, value: o.value }] })), undefined],
  };
  const name = "resp MULTI INCR INCR SET";
  record(x, name, call, end, [...incrs, op({ kind: "put", key, value })], (ret) => ({
    client: x.client,
    name,
    call,
    ret,
    outcome: end.outcome,
    txn: { compare: [], success, failure: [] },
    ...(end.outcome === "ok" ? { result } : {}),
  }));
  return end.connected;
}

/** What a transfer's WATCH and GETs saw; undefined when they failed (recorded). */
async function watchAndRead(x: RespOpContext, conn: RespClient): Promise<string[] | undefined> {
  const call = x.now();
  const sent = [["WATCH", ...BANK_KEYS, TOUCH_KEY], ...BANK_KEYS.map((k) => ["GET", k])].map((c) =>
    conn.call(c)
  );
  const got: { reply: RespReply; at: number }[] = [];
  try {
    for (const p of sent) got.push({ reply: await p, at: x.now() });
  } catch (err) {
    await Promise.allSettled(sent);
    x.history.complete({
      client: x.client,
      name: "resp WATCH",
      call,
      ret: x.now(),
      outcome: "fail",
      detail: String(err),
    });
    return undefined;
  }
  const values: string[] = [];
  BANK_KEYS.forEach((key, i) => {
    const { reply, at } = got[i + 1];
    if (reply instanceof RespErrorReply) return;
    const get = { ...op({ kind: "get", key, value: text(reply) }), call, ret: at };
    x.history.check(get, "ok");
    x.history.revision(
      revOpOf({ client: x.client, name: "resp GET", call, ret: at, outcome: "ok", ops: [get] }),
    );
    values.push(get.value);
  });
  const watched = got[0].reply;
  const ok = !(watched instanceof RespErrorReply) && values.length === BANK_KEYS.length;
  if (ok) status(watched, "OK");
  const detail = `${BANK_KEYS.join(" ")} ${got.map((g) => showReply(g.reply)).join(" ")}`;
  const outcome = ok ? "ok" : "fail";
  x.history.complete({
    client: x.client,
    name: "resp WATCH GET GET",
    call,
    ret: x.now(),
    outcome,
    detail,
  });
  return ok ? values : undefined;
}

/** The compare that holds when a key still has the value a GET read ("": absent). */
function stillRead(key: string, value: string): RevCompare {
  return value === ""
    ? { key, target: "modRevision", result: "=", operand: 0 }
    : { key, target: "value", result: "=", operand: value };
}

/** WATCH b/0 b/1 b/t; GET b/0 b/1; MULTI; SET both, moving 1–9 from one to the other; EXEC. */
async function transfer(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const read = await watchAndRead(x, conn);
  // A failed WATCH or GET leaves the connection's watches as they are: start afresh.
  if (read === undefined) return false;
  let touched = false;
  if (x.prng.chance(TOUCH_SHARE)) {
    // The client itself changes a watched key: its EXEC must answer nil. Not a balance: a
    // blind write of one, even of the amount just read, could undo another client's transfer.
    const touch = await runRespPlan(x, conn, setPlan(TOUCH_KEY, x.freshValue()));
    if (!touch.connected) return false;
    touched = touch.outcome === "ok";
  } else {
    await x.sleep(x.prng.int(THINK_MS + 1)); // a wider window for another client's transfer
  }
  const move = (1 + x.prng.int(9)) * (x.prng.chance(0.5) ? 1 : -1);
  const amounts = read.map(balanceOf);
  if (amounts.some(Number.isNaN)) throw new WrongReply(`a balance of ${read.join(" ")}`);
  const values = [
    balanceValue(amounts[0] - move, x.freshValue()),
    balanceValue(amounts[1] + move, x.freshValue()),
  ];
  const call = x.now();
  const end = await execBlock(conn, BANK_KEYS.map((k, i) => ["SET", k, values[i]]));
  for (const r of end.replies ?? []) status(r, "OK");
  if (touched && end.outcome === "ok") {
    const at = Math.round(call);
    x.history.problems.push(`${x.client} EXEC at ${at} ran though the client SET ${TOUCH_KEY}`);
  }
  const puts = BANK_KEYS.map((key, i) => op({ kind: "put", key, value: values[i] }));
  const name = "resp WATCH MULTI SET SET";
  record(x, name, call, { ...end, detail: `${values.join(" ")} ${end.detail}` }, puts, (ret) => ({
    client: x.client,
    name,
    call,
    ret,
    outcome: end.outcome,
    txn: {
      compare: BANK_KEYS.map((k, i) => stillRead(k, read[i])),
      success: puts.map((p) => ({ put: { key: p.key, value: p.value } })),
      failure: [],
    },
    ...(end.outcome === "ok" ? { result: { succeeded: true, results: [] } } : {}),
  }));
  return end.connected;
}

/** MGET b/0 b/1: both balances at once, for the bank check. */
async function readBalances(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const call = x.now();
  let reply: RespReply;
  try {
    reply = await conn.call(["MGET", ...BANK_KEYS]);
  } catch (err) {
    const ret = x.now();
    x.history.complete({
      client: x.client,
      name: "resp MGET",
      call,
      ret,
      outcome: "fail",
      detail: String(err),
    });
    return false;
  }
  const ret = x.now();
  if (reply instanceof RespErrorReply) {
    const detail = showReply(reply);
    x.history.complete({ client: x.client, name: "resp MGET", call, ret, outcome: "fail", detail });
    return reply.code === "TRYAGAIN";
  }
  if (!Array.isArray(reply) || reply.length !== BANK_KEYS.length) {
    throw new WrongReply(`MGET of ${BANK_KEYS.length} keys answered ${showReply(reply)}`);
  }
  const values = reply.map(text);
  const gets = BANK_KEYS.map((key, i) => ({
    ...op({ kind: "get", key, value: values[i] }),
    call,
    ret,
  }));
  for (const g of gets) x.history.check(g, "ok");
  x.history.revision(
    revOpOf({ client: x.client, name: "resp MGET", call, ret, outcome: "ok", ops: gets }),
  );
  x.history.bankReads.push({ client: x.client, call, ret, values });
  x.history.complete({
    client: x.client,
    name: "resp MGET",
    call,
    ret,
    outcome: "ok",
    detail: `${BANK_KEYS.join(" ")} = ${showReply(reply)}`,
  });
  return true;
}

/** Runs one MULTI/EXEC operation (or a read of the balances); false: reconnect. */
export function runRespMulti(x: RespOpContext, conn: RespClient): Promise<boolean> {
  const roll = x.prng.nextFloat();
  if (roll < 0.35) return counterBlock(x, conn);
  if (roll < 0.75) return transfer(x, conn);
  return readBalances(x, conn);
}
