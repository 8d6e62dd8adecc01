/**
 * Reading the RESP clients' replies (resp_client.ts) into outcomes: what a
 * reply of each shape means for the history, shared by every kind of RESP
 * operation (resp_ops.ts, resp_multi_ops.ts, resp_ttl_ops.ts, resp_db_ops.ts).
 */
import type { Outcome } from "./history.ts";
import { RespErrorReply, type RespReply } from "./resp_client.ts";

/** A reply of the wrong shape: a server bug, so it ends the run (the seed fails). */
export class WrongReply extends Error {}

export function text(reply: RespReply): string {
  if (reply === null) return "";
  if (typeof reply === "string") return reply;
  throw new WrongReply(`expected a bulk string, got ${JSON.stringify(reply)}`);
}

export function integer(reply: RespReply): number {
  if (typeof reply === "number") return reply;
  throw new WrongReply(`expected an integer, got ${JSON.stringify(reply)}`);
}

/** Throws WrongReply unless `reply` is the status `want` (e.g. OK, QUEUED). */
export function status(reply: RespReply, want: string): void {
  if (reply !== want) throw new WrongReply(`expected ${want}, got ${JSON.stringify(reply)}`);
}

/**
 * `-TRYAGAIN` and `-CLUSTERDOWN` mean "not applied" (docs/resp.md); so does
 * `-EXECABORT` (nothing of the block ran). Any other error leaves a write's
 * outcome unknown; a read that failed tells nothing.
 */
export function errorOutcome(reply: RespErrorReply, write: boolean): Outcome {
  const notApplied = ["TRYAGAIN", "CLUSTERDOWN", "EXECABORT"].includes(reply.code);
  return notApplied || !write ? "fail" : "unknown";
}

/** Writes the reply (or the error) for the trace. */
export function showReply(reply: RespReply): string {
  if (reply instanceof RespErrorReply) return reply.message.slice(0, 60);
  return JSON.stringify(reply);
}
