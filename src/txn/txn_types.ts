/**
 * What the Percolator state machine of one region takes and answers (docs/transactions.md).
 * Conflicts are answers, not exceptions: they are the normal outcome of concurrent transactions,
 * and a region's Raft apply returns them to the coordinator. Malformed requests throw
 * `TxnInputError` before anything is written.
 */
import type { LockRecord, MutationKind } from "./records.ts";

/** One key a transaction writes (`put`, `delete`) or only read and locks (`lock`). */
export interface Mutation {
  readonly kind: MutationKind;
  readonly key: Uint8Array;
  /** The new value (`put` only). */
  readonly value?: Uint8Array;
}

/** A lock as a reader or a conflicting writer meets it. */
export interface LockInfo extends LockRecord {
  readonly key: Uint8Array;
}

/** Why a request on some key could not go ahead. */
export type KeyError =
  /** A write committed at `commitTs` after the transaction's start (snapshot isolation). */
  | { readonly kind: "writeConflict"; readonly key: Uint8Array; readonly commitTs: number }
  /** Another transaction holds the key's lock: resolve it (checkTxnStatus) or retry later. */
  | { readonly kind: "locked"; readonly lock: LockInfo }
  /** The transaction was rolled back (a rollback record exists): it can never commit. */
  | { readonly kind: "rolledBack"; readonly key: Uint8Array }
  /** A rollback was asked of a transaction that committed at `commitTs`. */
  | { readonly kind: "committed"; readonly key: Uint8Array; readonly commitTs: number }
  /** Commit without a lock and without any record of the transaction on the key. */
  | { readonly kind: "lockNotFound"; readonly key: Uint8Array }
  /**
   * The primary's commit of a client request that an earlier transaction already applied (the
   * region's client session holds it): nothing was committed; `outcome` is the saved answer.
   */
  | { readonly kind: "applied"; readonly key: Uint8Array; readonly outcome: Uint8Array };

/**
 * The client request a transaction carries out (its session: client id and sequence) and the
 * answer to save for it: the primary's commit records it in the primary's region, so a second
 * transaction of the same request (a client's retry sent to another node) cannot commit too.
 */
export interface TxnSession {
  readonly clientId: number;
  readonly sequence: number;
  /** The encoded answer (kv/outcome_codec.ts) a retry of the request gets. */
  readonly outcome: Uint8Array;
}

export type TxnResult = { readonly ok: true } | { readonly ok: false; readonly error: KeyError };

export const TXN_OK: TxnResult = { ok: true };

/** The state of a transaction, as its primary key's records tell it. */
export type TxnStatus =
  | { readonly kind: "committed"; readonly commitTs: number }
  | { readonly kind: "rolledBack" }
  /** The primary is locked and its TTL has not passed: the coordinator may still be working. */
  | { readonly kind: "locked"; readonly lock: LockInfo }
  /** No lock and no record: the primary's prewrite has not arrived (or never will). */
  | { readonly kind: "missing" };

/** A request no correct coordinator sends: bad timestamps, sizes or duplicate keys. */
export class TxnInputError extends Error {
  override name = "TxnInputError";
  readonly code = "INVALID_ARGUMENT" as const;
}

/** A request named a key outside the region's range: the caller's route is stale. */
export class KeyNotInRegionError extends Error {
  override name = "KeyNotInRegionError";
  readonly code = "KEY_NOT_IN_REGION" as const;
}
