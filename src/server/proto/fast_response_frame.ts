/**
 * The frames of the two most frequent responses, encoded by hand: a get's
 * (wire/get_response_frame.ts) and a plain write's, `Frame{response: ClientResponse{request_id,
 * write: WriteResponse}}`, the request id's field ahead of the outcome's own bytes
 * (kv/write_outcome_codec.ts; protobuf-es writes fields in number order, so that is its
 * encoding). The generic path (create + toBinary + prefix) walks the schema by reflection on
 * every write the leader answers. The same bytes (tests/server/fast_response_frame_test.ts);
 * anything else, or a number too large for these paths, gets undefined.
 */
import { encodeWriteOutcome } from "../../kv/write_outcome_codec.ts";
import { encodeGetResponseFrame, startResponseFrame } from "../../wire/get_response_frame.ts";
import type { ResponseInit } from "./responses.ts";
import { isSafeU64 } from "../../util/ids.ts";

export function fastResponseFrame(response: ResponseInit): Uint8Array | undefined {
  const b = response.body;
  if (response.error !== undefined || b?.value === undefined) return undefined;
  const requestId = response.requestId ?? 0n;
  if (b.case === "get") {
    const v = b.value;
    return encodeGetResponseFrame(requestId, { ...v, found: v.found ?? false });
  }
  if (b.case !== "write" || !isSafeU64(requestId)) return undefined;
  const outcome = encodeWriteOutcome({ body: b })?.bytes;
  if (outcome === undefined) return undefined;
  const { out, at } = startResponseFrame(Number(requestId), outcome.length);
  out.set(outcome, at);
  return out;
}
