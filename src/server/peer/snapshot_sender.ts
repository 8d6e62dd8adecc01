/**
 * Streams a state machine snapshot to one peer: the Snap message's metadata,
 * then the stream in chunks, holding one chunk back so the last can say
 * `done`. The stream stops at the first chunk that could not be queued (the
 * peer's queue was full) or when the connection drops, and reports the
 * snapshot failed once: the receiver refuses every chunk after a gap, so
 * sending on would only waste the link, and a last chunk handed to the socket
 * must never report success for a broken stream. Raft sends a fresh snapshot
 * after the failure report.
 *
 * The stream yields a timer turn every IMAGE_READ_TURN_MS of work: reading the engine, encoding
 * and handing chunks to a fast socket never wait on their own, so a 40 MiB region image ran as
 * one task that held the event loop for seconds — no heartbeat, no request, no read of the
 * socket — and the sender's regions lost their leaders (the 1M-key e2e: every image sent stalled
 * its sender that long, `raft.timer_late`, and followers campaigned).
 */
import { type Message, MessageType } from "../../raft/core/messages.ts";
import { raftMessageToWire } from "../../wire/raft_codec.ts";
import type { PeerLink } from "./peer_link.ts";
import { snapshotFrame } from "./peer_frames.ts";
import { SNAPSHOT_CHUNK_BYTES } from "../../limits.ts";
import { IMAGE_READ_TURN_MS } from "../../limits_ops.ts";

/** Bytes of snapshot waiting toward a peer (held and in its socket) before the sender waits. */
const SNAPSHOT_QUEUE_BYTES = 32 * 1024 * 1024;
/** How often a waiting sender looks at the peer's queue again. */
const ROOM_POLL_MS = 5;

/** How a stream is cut and paced; the multi-region transport tags it with its region. */
export interface StreamShape {
  readonly chunkBytes: number;
  /** Bytes waiting toward the peer above which the next chunk waits. */
  readonly windowBytes: number;
  readonly region?: number;
}

const SINGLE_GROUP: StreamShape = {
  chunkBytes: SNAPSHOT_CHUNK_BYTES,
  windowBytes: SNAPSHOT_QUEUE_BYTES,
};

export async function streamSnapshot(
  link: PeerLink,
  m: Message,
  source: () => AsyncIterable<Uint8Array>,
  shape: StreamShape = SINGLE_GROUP,
): Promise<void> {
  if (link.streaming) return link.snapshotStatus(false);
  link.streaming = true;
  const generation = link.generation;
  const head = raftMessageToWire(m);
  let offset = 0;
  let held: Uint8Array | undefined;
  const clock = link.o.clock;
  const t0 = clock.nowMs();
  let turnMs = t0;
  const fields = () => ({
    peer: link.id,
    region: shape.region,
    index: m.type === MessageType.Snap ? m.snapshot.metadata.index : undefined,
    bytes: offset,
    ms: Math.round(clock.nowMs() - t0),
  });
  const emit = async (chunk: Uint8Array, done: boolean) => {
    await waitForRoom(link, generation, chunk.length, shape.windowBytes);
    if (!link.enqueue([snapshotFrame(head, chunk, offset, done, shape.region)], done)) {
      throw new Error(`snapshot chunk at ${offset} dropped: the peer's queue is full`);
    }
    offset += chunk.length;
    if (clock.nowMs() - turnMs >= IMAGE_READ_TURN_MS) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 0));
      turnMs = clock.nowMs();
    }
  };
  try {
    for await (const piece of source()) {
      for (let at = 0; at < piece.length; at += shape.chunkBytes) {
        if (held !== undefined) await emit(held, false);
        held = piece.subarray(at, at + shape.chunkBytes);
      }
    }
    // Success is reported when this last chunk reaches the socket (or failure if it never does).
    await emit(held ?? new Uint8Array(0), true);
    link.o.logger?.info("snapshot.sent", fields());
  } catch (err) {
    link.o.logger?.warn("snapshot.failed", { ...fields(), error: String(err) });
    link.snapshotStatus(false);
  } finally {
    link.streaming = false;
  }
}

/** Waits until a chunk of `bytes` fits; throws if the connection was lost meanwhile. */
async function waitForRoom(
  link: PeerLink,
  generation: number,
  bytes: number,
  windowBytes: number,
): Promise<void> {
  const room = Math.min(windowBytes, link.bytesMax - bytes);
  if (room < 0) throw new Error(`a ${bytes}-byte snapshot chunk exceeds the peer queue`);
  for (;;) {
    if (link.closed || generation !== link.generation) throw new Error("connection lost");
    if (link.pendingBytes <= room) return;
    await new Promise<void>((resolve) => link.o.clock.setTimeout(resolve, ROOM_POLL_MS));
  }
}
