/**
 * A Redis reply as a tree, independent of the protocol version: the state
 * machine builds it (it may be replicated to the proposer inside an outcome,
 * reply_codec.ts), and each connection writes it in RESP2 or RESP3
 * (reply_writer.ts). Errors carry their whole line, code first
 * ("ERR syntax error", "WRONGTYPE Operation against ...").
 */
import { utf8 } from "../../util/bytes.ts";

export type RedisReply =
  | { readonly k: "simple"; readonly s: string }
  | { readonly k: "error"; readonly s: string }
  | { readonly k: "int"; readonly n: bigint }
  | { readonly k: "bulk"; readonly b: Uint8Array }
  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  | { readonly k: "null" }
  /** A missing array (EXEC after a WATCH conflict): `*-1` in RESP2, `_` in RESP3. */
  | { readonly k: "nullArray" }
  | { readonly k: "array"; readonly items: readonly RedisReply[] }
  /** Pairs, flat: key, value, key, value (RESP3 `%`, a flat array in RESP2). */
  | { readonly k: "map"; readonly items: readonly RedisReply[] }
  /** RESP3 `~`, an array in RESP2. */
  | { readonly k: "set"; readonly items: readonly RedisReply[] }
  /**
   * Pairs, flat (HRANDFIELD WITHVALUES): RESP3 an array of 2-element arrays,
   * RESP2 one flat array.
   */
  | { readonly k: "pairs"; readonly items: readonly RedisReply[] }
  /** RESP3 `,`, a bulk string in RESP2 (formatted as Redis does). */
  | { readonly k: "double"; readonly d: number };

export const OK: RedisReply = { k: "simple", s: "OK" };
export const NULL: RedisReply = { k: "null" };
export const NULL_ARRAY: RedisReply = { k: "nullArray" };
export const EMPTY_ARRAY: RedisReply = { k: "array", items: [] };
export const QUEUED: RedisReply = { k: "simple", s: "QUEUED" };

export function int(n: number | bigint): RedisReply {
  return { k: "int", n: BigInt(n) };
}

export function bulk(b: Uint8Array | undefined): RedisReply {
  return b === undefined ? NULL : { k: "bulk", b };
}

export function bulkText(text: string): RedisReply {
  return { k: "bulk", b: utf8(text) };
}

export function simple(s: string): RedisReply {
  return { k: "simple", s };
}

export function error(s: string): RedisReply {
  return { k: "error", s };
}

export function array(items: readonly RedisReply[]): RedisReply {
  return { k: "array", items };
}

export function bulks(items: readonly Uint8Array[]): RedisReply {
  return { k: "array", items: items.map((b) => ({ k: "bulk", b })) };
}

export function map(items: readonly RedisReply[]): RedisReply {
  return { k: "map", items };
}

export function set(items: readonly RedisReply[]): RedisReply {
  return { k: "set", items };
}

export function pairs(items: readonly RedisReply[]): RedisReply {
  return { k: "pairs", items };
}
