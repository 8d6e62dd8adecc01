/** Writes a Redis reply tree (src/redis/reply.ts) in the connection's protocol version. */
import type { RedisReply } from "../../kv/redis/reply.ts";
import type { RespWriter } from "./resp_writer.ts";

/** Redis's text for a double reply: integers without a fraction, inf as "inf". */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  return String(d);
}

export function writeReply(w: RespWriter, r: RedisReply): void {
  switch (r.k) {
    case "simple":
      w.simple(r.s);
      return;
    case "error":
      w.error(r.s);
      return;
    case "int":
      w.integer(r.n);
      return;
    case "bulk":
      w.bulk(r.b);
      return;
    case "null":
      w.null();
      return;
    case "nullArray":
      w.nullArray();
      return;
    case "double":
      w.double(formatDouble(r.d));
      return;
    case "array":
      w.arrayHeader(r.items.length);
      break;
    case "set":
      w.setHeader(r.items.length);
      break;
    case "map":
      w.mapHeader(r.items.length / 2);
      break;
    case "pairs":
      writePairs(w, r.items);
      return;
  }
  for (const item of r.items) writeReply(w, item);
}

/** RESP3: an array of [a, b] arrays; RESP2: one flat array (Redis's HRANDFIELD WITHVALUES). */
function writePairs(w: RespWriter, items: readonly RedisReply[]): void {
  const nested = w.version === 3;
  w.arrayHeader(nested ? items.length / 2 : items.length);
  for (let i = 0; i < items.length; i++) {
    if (nested && i % 2 === 0) w.arrayHeader(2);
    writeReply(w, items[i]);
  }
}
