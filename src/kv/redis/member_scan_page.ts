/**
 * One page of a member scan (SSCAN, and any collection type's): up to `count` members examined
 * after a resume member, in byte order, those matching MATCH kept. Shared by the RESP port's
 * SSCAN on this node's state (src/server/resp/resp_member_scan.ts) and by a node reading a set
 * in a region it holds for another node (src/server/node/redis_key_reads.ts), so both answer the
 * same page for the same state.
 */
import type { Collection, RedisDb } from "./database.ts";
import { globMatch, literalPrefix } from "./glob.ts";
import { RedisType } from "./meta_record.ts";
import { compareBytes, hasPrefix } from "../../util/bytes.ts";

export interface MemberScanOptions {
  readonly pattern: Uint8Array | undefined;
  /** Members examined at most (the caller caps it). */
  readonly count: number;
}

export interface MemberPage {
  /** Members (a set) or field, value pairs (a hash), flat. */
  readonly items: Uint8Array[];
  /** The last member examined, when more may follow. */
  readonly next: Uint8Array | undefined;
}

/** Up to `o.count` members after `after`; members before MATCH's literal prefix are skipped. */
export function scanMembers(
  db: RedisDb,
  c: Collection,
  after: Uint8Array | undefined,
  o: MemberScanOptions,
): MemberPage {
  const prefix = o.pattern === undefined ? new Uint8Array(0) : literalPrefix(o.pattern);
  const fromPrefix = after === undefined || compareBytes(after, prefix) < 0;
  const items: Uint8Array[] = [];
  let seen = 0, last: Uint8Array | undefined;
  const visit = (member: Uint8Array, value: Uint8Array) => {
    seen++;
    last = member;
    if (o.pattern !== undefined && !globMatch(o.pattern, member)) return;
    items.push(member);
    if (c.type === RedisType.Hash) items.push(value);
  };
  // members() starts after a bound, exclusive: the prefix itself may be a member (the empty
  // prefix too: "" is a member like every other, first in byte order).
  const exact = fromPrefix ? db.member(c, prefix) : undefined;
  if (exact !== undefined) visit(prefix, exact);
  for (const [member, value] of db.members(c, fromPrefix ? prefix : after)) {
    if (!hasPrefix(member, prefix)) return { items, next: undefined };
    if (seen === o.count) return { items, next: last };
    visit(member, value);
  }
  return { items, next: undefined };
}
