/**
 * Frames of the multi-region peer protocol (docs/formats.md, "Peer batches"):
 * region-tagged Raft messages (`Frame.region_raft`: the hand-written hot
 * encoding for appends, heartbeats and their answers, zero-copy parts for
 * large appends, protobuf-es for the rest and for snapshot chunks) and the
 * node-level liveness beat (`Frame.liveness`). Decoding is a gateway for peer
 * bytes: a frame becomes a typed value or a WireError, never anything else.
 */
import type { RaftMessage } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { MULTI_PEER_BEAT_QUIET_MAX } from "../../limits_ops.ts";
import { type Message, MessageType } from "../../raft/core/messages.ts";
import type { LivenessBeat, QuietRegion } from "../../raft/multi/transport.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { decodeWireFrame, WireError } from "../../wire/frame_codec.ts";
import { decodeBeatFrame, encodeBeatFrame } from "../../wire/liveness_beat_codec.ts";
import { raftMessageFromWire } from "../../wire/raft_codec.ts";
import { decodeHotRegionFrame } from "../../wire/raft_hot_decode.ts";

/** The batch protocol version this build speaks (Hello.batch_version). */
export const PEER_BATCH_VERSION = 1;

/** First byte of a `Frame.region_raft` and a `Frame.liveness` payload (field tags). */
const REGION_RAFT_TAG = 5 << 3 | 2;
const LIVENESS_TAG = 6 << 3 | 2;

/** What one batch frame holds. A snapshot chunk is reassembled by the receiver. */
export type PeerBatchFrame =
  | { readonly kind: "message"; readonly region: number; readonly message: Message }
  | { readonly kind: "chunk"; readonly region: number; readonly wire: RaftMessage }
  | { readonly kind: "beat"; readonly beat: LivenessBeat };

export { encodeBeatFrame };

/** Whether a frame payload is a batch frame (cheap: its first byte). */
export function isPeerBatchFrame(payload: Uint8Array): boolean {
  return payload[0] === REGION_RAFT_TAG || payload[0] === LIVENESS_TAG;
}

/** Decodes a batch frame from peer `from` (the id its Hello authenticated). */
function checkBeatSize(n: number): void {
  const max = MULTI_PEER_BEAT_QUIET_MAX;
  if (n > max) throw new WireError(`liveness beat lists ${n} regions (at most ${max})`);
}

export function decodePeerBatchFrame(payload: Uint8Array, from: number): PeerBatchFrame {
  const hot = decodeHotRegionFrame(payload, from);
  if (hot !== undefined) return { kind: "message", ...hot };
  const beat = decodeBeatFrame(payload);
  if (beat !== undefined) {
    checkBeatSize(beat.quiet.length);
    return { kind: "beat", beat };
  }
  const b = decodeWireFrame(payload).body;
  if (b.case === "liveness") {
    const w = b.value;
    const n = w.quietRegions.length;
    checkBeatSize(n);
    if (w.quietTerms.length !== n || w.quietCommits.length !== n) {
      throw new WireError("liveness beat lists of different lengths");
    }
    const quiet: QuietRegion[] = new Array(n);
    for (let i = 0; i < n; i++) {
      quiet[i] = {
        region: u64ToNumber(w.quietRegions[i], "quiet region"),
        term: u64ToNumber(w.quietTerms[i], "quiet term"),
        commit: u64ToNumber(w.quietCommits[i], "quiet commit"),
      };
    }
    const incarnation = u64ToNumber(w.incarnation, "incarnation");
    return { kind: "beat", beat: { incarnation, quiet } };
  }
  if (b.case !== "regionRaft") throw new WireError(`${b.case} frame is not a batch frame`);
  const region = u64ToNumber(b.value.region, "region");
  if (b.value.type === MessageType.Snap) {
    if (u64ToNumber(b.value.from, "from") !== from) {
      throw new WireError("Raft message claims another sender");
    }
    return { kind: "chunk", region, wire: b.value };
  }
  return { kind: "message", region, message: raftMessageFromWire(b.value, from) };
}
