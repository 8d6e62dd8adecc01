/** Picks the expected body out of a ClientResponse, or fails with a clear error. */
import type {
  AdminResponse,
  ClientResponse,
  GetResponse,
  ScanResponse,
  StatusResponse,
  TxnResponse,
  WriteResponse,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvError } from "./errors.ts";
import { u64ToNumber } from "../util/ids.ts";

type Body = ClientResponse["body"];

function unexpected(body: Body, want: string): TinyKvError {
  return new TinyKvError("UNAVAILABLE", `expected a ${want} response, got ${body.case}`, true);
}

export function writeOf(r: ClientResponse): WriteResponse {
  if (r.body.case === "write") return r.body.value;
  throw unexpected(r.body, "write");
}

export function getOf(r: ClientResponse): GetResponse {
  if (r.body.case === "get") return r.body.value;
  throw unexpected(r.body, "get");
}

export function scanOf(r: ClientResponse): ScanResponse {
  if (r.body.case === "scan") return r.body.value;
  throw unexpected(r.body, "scan");
}

export function statusOf(r: ClientResponse): StatusResponse {
  if (r.body.case === "status") return r.body.value;
  throw unexpected(r.body, "status");
}

export function adminOf(r: ClientResponse): AdminResponse {
  if (r.body.case === "admin") return r.body.value;
  throw unexpected(r.body, "admin");
}

export function txnOf(r: ClientResponse): TxnResponse {
  if (r.body.case === "txn") return r.body.value;
  throw unexpected(r.body, "txn");
}

/**
 * A write's revision: the response's, or its Raft index from a node that reports none (before
 * revisions; on a one-region cluster the two are the same for a write that changed something).
 */
export function revisionOf(w: WriteResponse): number {
  return u64ToNumber(w.revision === 0n ? w.index : w.revision, "revision");
}
