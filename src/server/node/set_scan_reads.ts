/**
 * RESP `SSCAN` on a node whose regions leave part of the keyspace to others (docs/resp.md "On a
 * node holding some regions"): a set lives in the region of its key, so one page is read whole
 * by one replica of that region — this node's when it holds the region, else the region's leader
 * (or a voter) sent a `RedisKeysRequest` with `set_scan`, routed with the region's id and epoch
 * and served there from its own regions only (never sent on again), with the asking read's
 * consistency. The page is built by the same code as the one-region node's SSCAN
 * (member_scan_page.ts), so the reply is the same bytes.
 */
import { RedisDb } from "../../kv/redis/database.ts";
import { scanMembers } from "../../kv/redis/member_scan_page.ts";
import { RedisType } from "../../kv/redis/meta_record.ts";
import { readStorageOf } from "../../kv/redis/read_run.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { keySpan } from "../../region/region_catalog.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { SetScanPage, SetScanQuery } from "../redis_keys.ts";
import type { RemoteRegions } from "./remote_regions.ts";
import { wireConsistency } from "./scan_parts.ts";

const EMPTY = new Uint8Array(0);
const NO_PAGE = { items: [], next: undefined };

/** The page from `kv`'s engine (any region's state machine: they share the node's engine). */
export function setScanOf(kv: KvStateMachine, q: SetScanQuery): SetScanPage {
  const db = new RedisDb(readStorageOf(kv), q.db);
  const e = db.lookup(q.key);
  if (e === undefined) return { type: undefined, page: NO_PAGE };
  if (e.type !== RedisType.Set) return { type: e.type, page: NO_PAGE };
  const c = db.collection(q.key, RedisType.Set, false);
  if (c === undefined) return { type: undefined, page: NO_PAGE };
  return { type: RedisType.Set, page: scanMembers(db, c, q.after, q.options) };
}

/** The page read by a replica of the key's region, elsewhere. */
export async function remoteSetScan(
  remote: RemoteRegions,
  q: SetScanQuery,
  c: Consistency,
): Promise<SetScanPage> {
  const { pattern, count } = q.options;
  const value = {
    db: q.db,
    limit: count,
    consistency: wireConsistency(c),
    setScan: true,
    setKey: q.key,
    after: q.after ?? EMPTY,
    hasAfter: q.after !== undefined,
    pattern: pattern ?? EMPTY,
    hasPattern: pattern !== undefined,
  };
  const answer = await remote.send({ case: "redisKeys", value }, [keySpan(q.key)], {
    timeoutMs: remote.d.requestTimeoutMs,
  });
  if (answer.body.case !== "redisKeys") {
    throw new ServiceError(ErrorCode.UNAVAILABLE, `an SSCAN read answered ${answer.body.case}`);
  }
  const r = answer.body.value;
  const type = r.keyType === 0 ? undefined : r.keyType as RedisType;
  return { type, page: { items: r.members, next: r.hasNext ? r.next : undefined } };
}
