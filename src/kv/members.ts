/**
 * The replicated address book: each member's protobuf/Raft address, written
 * by the entry that added the member (the address travels as the conf
 * change's context) and deleted by the entry that removed it. It lives in the
 * engine with the data, so snapshots carry it to new and rebuilt nodes, and a
 * restarted node knows members added after its `--peers` was written.
 *
 *   0x00 "member" id:u64be → UTF-8 "host:port"   (docs/formats.md#kv-keyspace)
 */
import { fromUtf8, utf8 } from "../util/bytes.ts";
import type { Db } from "../storage/db.ts";
import { Namespace } from "./keyspace.ts";

const TAG = new TextEncoder().encode("member");

export const MEMBER_PREFIX: Uint8Array = new Uint8Array([Namespace.Meta, ...TAG]);

export function memberKey(id: number): Uint8Array {
  const k = new Uint8Array(MEMBER_PREFIX.length + 8);
  k.set(MEMBER_PREFIX);
  const dv = new DataView(k.buffer);
  dv.setUint32(MEMBER_PREFIX.length, Math.floor(id / 0x1_0000_0000), false);
  dv.setUint32(MEMBER_PREFIX.length + 4, id >>> 0, false);
  return k;
}

function idOf(key: Uint8Array): number {
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const at = MEMBER_PREFIX.length;
  return dv.getUint32(at, false) * 0x1_0000_0000 + dv.getUint32(at + 4, false);
}

/** A write to the address book, made in the same engine batch as the entry's index. */
export interface MemberAddressWrite {
  readonly id: number;
  /** null removes the member's address. */
  readonly address: string | null;
}

export function memberWriteOp(
  w: MemberAddressWrite,
): { key: Uint8Array; value: Uint8Array | null } {
  return { key: memberKey(w.id), value: w.address === null ? null : utf8(w.address) };
}

/** The address book as of the engine's applied index. */
export async function readMembers(db: Db): Promise<Map<number, string>> {
  const book = new Map<number, string>();
  for await (const [key, value] of db.scan({ prefix: MEMBER_PREFIX })) {
    if (key.length === MEMBER_PREFIX.length + 8) book.set(idOf(key), fromUtf8(value));
  }
  return book;
}
