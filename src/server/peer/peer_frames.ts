/**
 * The frames a Raft message goes out as toward a peer: one, or a snapshot's
 * chunks. With a region (the multi-region transport), the same encodings in
 * `Frame.region_raft` frames carrying the region (docs/formats.md, "Peer batches").
 */
import { create } from "@bufbuild/protobuf";
import { type RaftMessage, RaftMessageSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { SNAPSHOT_CHUNK_BYTES } from "../../limits.ts";
import { type Message, MessageType } from "../../raft/core/messages.ts";
import { encodeWireFrame } from "../../wire/frame_codec.ts";
import { raftMessageToWire } from "../../wire/raft_codec.ts";
import { encodeHotFrame, isHot } from "../../wire/raft_hot_codec.ts";
import { entryDataBytes, raftFrameParts, ZERO_COPY_ENTRY_BYTES } from "../../wire/raft_frames.ts";

/** A Raft message as a frame: `Frame.raft`, or `Frame.region_raft` with `region` set. */
function raftFrame(wire: RaftMessage, region: number | undefined): Uint8Array {
  if (region === undefined) return encodeWireFrame({ case: "raft", value: wire });
  wire.region = BigInt(region);
  return encodeWireFrame({ case: "regionRaft", value: wire });
}

/** One frame of a streamed snapshot: the metadata message first, then bare chunks. */
export function snapshotFrame(
  head: RaftMessage,
  chunk: Uint8Array,
  offset: number,
  done: boolean,
  region?: number,
): Uint8Array {
  const part = offset === 0
    ? create(RaftMessageSchema, head)
    : create(RaftMessageSchema, { type: head.type, from: head.from, to: head.to, term: head.term });
  part.snapshotChunk = chunk;
  part.snapshotOffset = BigInt(offset);
  part.snapshotDone = done;
  return raftFrame(part, region);
}

/** The frames of one message: one, or a chunk sequence for a snapshot. */
export function messageFrames(m: Message, region?: number): Uint8Array[] {
  if ((m.type === MessageType.App || m.type === MessageType.Prop) && m.entries.length > 0) {
    if (entryDataBytes(m) >= ZERO_COPY_ENTRY_BYTES) return raftFrameParts(m, region);
  }
  if (isHot(m)) return [encodeHotFrame(m, region)]; // appends, heartbeats, answers: by hand
  const wire = raftMessageToWire(m);
  if (m.type !== MessageType.Snap) return [raftFrame(wire, region)];
  const data = m.snapshot.data;
  const frames: Uint8Array[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
    offset += chunk.length;
    frames.push(snapshotFrame(wire, chunk, offset - chunk.length, offset >= data.length, region));
  } while (offset < data.length);
  return frames;
}
