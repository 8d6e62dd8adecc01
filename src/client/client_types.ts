/** The option and result types of the client API (re-exported by tinykv_client.ts). */
import { ReadConsistency } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyEntry } from "./key_entry.ts";

export type Bytes = string | Uint8Array;
export type Consistency = "linearizable" | "lease" | "serializable";

export interface ReadOptions {
  readonly consistency?: Consistency;
  /** Read as of this store revision (default: the current one). */
  readonly revision?: number;
}

export interface ScanOptions extends ReadOptions {
  readonly prefix?: Bytes;
  readonly start?: Bytes;
  readonly end?: Bytes;
  readonly limit?: number;
  readonly offset?: number;
  readonly cursor?: Uint8Array;
  readonly reverse?: boolean;
}

export interface ScanPage {
  readonly items: KeyEntry[];
  /** Pass as `cursor` to get the next page; undefined when the scan is done. */
  readonly nextCursor: Uint8Array | undefined;
  /** The store revision the scan saw. */
  readonly revision: number;
}

export type BatchOp = { type: "put"; key: Bytes; value: Bytes } | { type: "del"; key: Bytes };

export const CONSISTENCY: Record<Consistency, ReadConsistency> = {
  linearizable: ReadConsistency.LINEARIZABLE,
  lease: ReadConsistency.LEASE,
  serializable: ReadConsistency.SERIALIZABLE,
};
