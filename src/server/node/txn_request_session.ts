/**
 * A transaction across regions and the client request it carries out
 * (docs/transactions.md#on-nodes): the request's session (client id and sequence) and its answer
 * travel with the primary's commit, which records them in the primary region's client session and
 * is refused when an earlier transaction of the same request recorded them. So a client's retry
 * that reached another node (its attempt timed out while the first node's transaction committed)
 * answers what the first saved and writes nothing a second time.
 */
import type { CommandOutcome } from "../kv_service.ts";
import { decodeOutcome, encodeOutcome } from "../../kv/outcome_codec.ts";
import type { TxnAppliedError, TxnOptions } from "../../txn/coordinator.ts";
import { serviceErrorOf } from "./proposals.ts";

/** The client request a transaction carries out (its session; 0: none). */
export interface RequestSession {
  readonly clientId: number;
  readonly sequence: number;
}

/**
 * The transaction's options: serializable, and with a client session, its answer recorded by the
 * primary's commit so that a retry of the request run by another coordinator (the client's
 * attempt timed out and it tried another node) cannot commit it a second time.
 */
export function txnOptions(
  session: RequestSession | undefined,
  answer: (commitTs: number) => CommandOutcome,
  mayWrite = true,
): TxnOptions {
  if (session === undefined || session.clientId === 0 || session.sequence === 0) {
    return { isolation: "serializable" };
  }
  const outcome = (commitTs: number) => encodeOutcome({ body: answer(commitTs) });
  // A request that may write commits even a branch that only reads, so a retry of it that
  // takes that branch meets the session the first attempt's commit recorded.
  return { isolation: "serializable", session: { ...session, outcome }, commitReads: mayWrite };
}

/** The answer an earlier transaction of the same request saved. */
export function savedAnswer(err: TxnAppliedError): CommandOutcome {
  const r = decodeOutcome(err.outcome);
  if (r.error !== undefined) throw serviceErrorOf(r.error);
  return r.body;
}
