/**
 * The bytes of a reply tree inside a replicated outcome (RedisResponse.reply):
 * one tag byte per node, then its payload. Only this process writes them and
 * only its peers read them, but a reader still checks every length.
 *
 *   simple/error  tag, varint length, UTF-8
 *   int           tag, varint length, decimal ASCII (64-bit signed)
 *   bulk          tag, varint length, bytes
 *   null/nullArray tag
 *   array/map/set/pairs tag, varint count, items
 *   double        tag, varint length, decimal ASCII (JavaScript's shortest form)
 */
import { ByteReader, ByteWriter, DecodeError } from "../../util/coding.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import type { RedisReply } from "./reply.ts";

const TAGS = [
  "simple",
  "error",
  "int",
  "bulk",
  "null",
  "nullArray",
  "array",
  "map",
  "set",
  "double",
  "pairs",
];
type Kind = RedisReply["k"];
const TAG_OF = new Map<string, number>(TAGS.map((k, i) => [k, i + 1]));

/** Nesting deeper than this is refused on decode (replies nest at most a few levels). */
const DEPTH_MAX = 32;

/**
 * `+OK` as encoded (tag 1, length 2, "OK"), and an array of one `+OK` (tag 7, count 1, then it):
 * the reply of most writes (a one-command run such as a SET answers an array of one), encoded
 * and decoded without the general walk.
 */
const OK_BYTES = [1, 2, 0x4f, 0x4b];
const ONE_OK_BYTES = [7, 1, ...OK_BYTES];

const isOk = (r: RedisReply | undefined): boolean => r?.k === "simple" && r.s === "OK";

function sameBytes(bytes: Uint8Array, expected: readonly number[]): boolean {
  if (bytes.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}

/** A new array of `bytes` (Uint8Array.from walks its argument as an iterable: slower). */
function bytesOf(bytes: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i];
  return out;
}

export function encodeReply(reply: RedisReply): Uint8Array {
  if (isOk(reply)) return bytesOf(OK_BYTES);
  if (reply.k === "array" && reply.items.length === 1 && isOk(reply.items[0])) {
    return bytesOf(ONE_OK_BYTES);
  }
  const w = new ByteWriter(64);
  write(w, reply);
  return w.finish();
}

function write(w: ByteWriter, r: RedisReply): void {
  w.u8(TAG_OF.get(r.k) ?? 0);
  switch (r.k) {
    case "simple":
    case "error":
      w.lengthPrefixed(utf8(r.s));
      return;
    case "int":
      w.lengthPrefixed(utf8(r.n.toString()));
      return;
    case "double":
      w.lengthPrefixed(utf8(String(r.d)));
      return;
    case "bulk":
      w.lengthPrefixed(r.b);
      return;
    case "null":
    case "nullArray":
      return;
    case "array":
    case "map":
    case "set":
    case "pairs":
      w.varint(r.items.length);
      for (const item of r.items) write(w, item);
  }
}

export function decodeReply(bytes: Uint8Array): RedisReply {
  if (sameBytes(bytes, OK_BYTES)) return { k: "simple", s: "OK" };
  if (sameBytes(bytes, ONE_OK_BYTES)) return { k: "array", items: [{ k: "simple", s: "OK" }] };
  const r = new ByteReader(bytes);
  const reply = read(r, 0);
  if (r.offset !== bytes.length) throw new DecodeError("bytes after a reply", r.offset);
  return reply;
}

function read(r: ByteReader, depth: number): RedisReply {
  if (depth > DEPTH_MAX) throw new DecodeError("reply nested too deeply", r.offset);
  const kind = TAGS[r.u8() - 1] as Kind | undefined;
  const text = () => fromUtf8(r.lengthPrefixed(r.bytes.length));
  switch (kind) {
    case "simple":
    case "error":
      return { k: kind, s: text() };
    case "int":
      return { k: "int", n: BigInt(text()) };
    case "double":
      return { k: "double", d: Number(text()) };
    case "bulk":
      return { k: "bulk", b: r.lengthPrefixed(r.bytes.length) };
    case "null":
    case "nullArray":
      return { k: kind };
    case "array":
    case "map":
    case "set":
    case "pairs": {
      const n = r.varint();
      if (n > r.bytes.length) throw new DecodeError("reply count past the end", r.offset);
      const items: RedisReply[] = [];
      for (let i = 0; i < n; i++) items.push(read(r, depth + 1));
      return { k: kind, items };
    }
    default:
      throw new DecodeError("unknown reply tag", r.offset);
  }
}
