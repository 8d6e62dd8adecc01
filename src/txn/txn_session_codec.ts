/**
 * The client session a primary's commit carries (txn_types.ts `TxnSession`), as bytes in a commit
 * request (txn_codec.ts): tagged, 0 for none, so that a truncated commit never reads as one
 * without its session; and the saved answer an `applied` refusal returns.
 *
 *   session := 0x00 | 0x01 clientId:varint sequence:varint outcome:bytes
 */
import { TXN_COMMAND_BYTES_MAX } from "../limits_ops.ts";
import { type ByteReader, type ByteWriter, DecodeError } from "../util/coding.ts";
import type { TxnSession } from "./txn_types.ts";

export function writeSession(w: ByteWriter, s: TxnSession | undefined): void {
  if (s === undefined) w.u8(0);
  else w.u8(1).varint(s.clientId).varint(s.sequence).lengthPrefixed(s.outcome);
}

export function readSession(r: ByteReader): TxnSession | undefined {
  const tag = r.u8();
  if (tag === 0) return undefined;
  if (tag !== 1) throw new DecodeError("commit session tag", r.offset - 1);
  const clientId = r.varint(), sequence = r.varint();
  return { clientId, sequence, outcome: readOutcome(r) };
}

/** An encoded answer (kv/outcome_codec.ts), bounded by the largest transactional command. */
export function readOutcome(r: ByteReader): Uint8Array {
  return r.lengthPrefixed(TXN_COMMAND_BYTES_MAX).slice();
}
