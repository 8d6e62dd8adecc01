/**
 * The snapshot receiver breaks a stream off at its first bad chunk (a gap, a
 * chunk from another term), reports that once, and never reports success for
 * it: the rest of that stream — its last chunk included — is dropped until a
 * fresh stream starts at offset 0, which then completes normally.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type RaftMessage, RaftMessageSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { exportSnapshot } from "../../src/kv/kv_snapshot.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { MessageType } from "../../src/raft/core/messages.ts";
import { SnapshotReceiver } from "../../src/server/node/snapshot_receiver.ts";
import { Db } from "../../src/storage/db.ts";
import { concatBytes } from "../../src/util/bytes.ts";

/** A real kv snapshot stream of a small engine, cut in four chunks. */
async function fourChunks(): Promise<Uint8Array[]> {
  const world = createSimWorld(5);
  world.fs.mkdir("src");
  const db = await Db.open(world.fs, "src", { wal: false });
  for (let i = 0; i < 300; i++) await db.put(`key${i}`, `value${i}`);
  const pieces: Uint8Array[] = [];
  for await (const p of exportSnapshot(db)) pieces.push(p);
  await db.close();
  const stream = concatBytes(pieces);
  const quarter = Math.ceil(stream.length / 4);
  return [0, 1, 2, 3].map((i) => stream.subarray(i * quarter, (i + 1) * quarter));
}

function chunkMessages(chunks: Uint8Array[], term = 3): RaftMessage[] {
  let offset = 0;
  return chunks.map((chunk, i) => {
    const m = create(RaftMessageSchema, {
      type: MessageType.Snap,
      from: 1n,
      to: 2n,
      term: BigInt(term),
      snapshotChunk: chunk,
      snapshotOffset: BigInt(offset),
      snapshotDone: i === chunks.length - 1,
    });
    offset += chunk.length;
    return m;
  });
}

function receiver() {
  const events: string[] = [];
  const world = createSimWorld(6);
  const r = new SnapshotReceiver(world.fs, "incoming", getPlatform().clock);
  const feed = async (messages: RaftMessage[]) => {
    for (const m of messages) {
      r.add(1, m, (first) => {
        events.push(`complete term ${first.term}`);
        return Promise.resolve();
      }, (err) => events.push(`error: ${String(err)}`));
    }
    await r.close(); // waits for every queued chunk
  };
  return { r, events, feed };
}

test("snapshot receiver: a gap breaks the stream off once; its last chunk never completes it", async () => {
  const chunks = chunkMessages(await fourChunks());
  const { r, events, feed } = receiver();
  await feed([chunks[0], chunks[2], chunks[3]]); // chunk 1 was lost on the way
  assert.equal(events.length, 1, events.join("\n"));
  assert.match(events[0], /^error: .*out of order/);
  assert.deepEqual(r.counts, { received: 0, failed: 1, superseded: 0 });
  // A fresh stream from the start completes.
  await feed(chunks);
  assert.deepEqual(events.slice(1), ["complete term 3"]);
  assert.deepEqual(r.counts, { received: 1, failed: 1, superseded: 0 });
});

test("snapshot receiver: chunks of a newer term do not continue an older term's stream", async () => {
  const data = await fourChunks();
  const old = chunkMessages(data, 3);
  const newer = chunkMessages(data, 4);
  const { r, events, feed } = receiver();
  // Term 3's stream stopped after its first chunk; term 4's first chunk was lost.
  await feed([old[0], newer[1], newer[2], newer[3]]);
  assert.equal(events.length, 1, events.join("\n"));
  assert.match(events[0], /^error: .*term 4.*term 3/);
  assert.deepEqual(r.counts, { received: 0, failed: 1, superseded: 0 });
});

test("snapshot receiver: streams queued behind a newer one are skipped; a started one finishes", async () => {
  const data = await fourChunks();
  const stream = (n: number) => {
    const messages = chunkMessages(data);
    messages[0].commit = BigInt(n); // names the stream in the completion
    return messages;
  };
  const events: string[] = [];
  const world = createSimWorld(7);
  const r = new SnapshotReceiver(world.fs, "incoming", getPlatform().clock);
  const add = (m: RaftMessage) =>
    r.add(1, m, (first) => {
      events.push(`complete ${first.commit}`);
      return Promise.resolve();
    }, (err) => events.push(`error: ${String(err)}`));
  // Three whole streams arrive before the first is processed: only the newest is imported.
  for (const n of [1, 2, 3]) stream(n).forEach(add);
  await r.close();
  assert.deepEqual(events, ["complete 3"]);
  assert.deepEqual(r.counts, { received: 1, failed: 0, superseded: 2 });
  // A stream that has started importing finishes although a newer one arrives meanwhile.
  const fourth = stream(4), fifth = stream(5);
  add(fourth[0]);
  await new Promise((resolve) => setTimeout(resolve, 50)); // stream 4 has started
  for (const m of [...fourth.slice(1), ...fifth]) add(m);
  await r.close();
  assert.deepEqual(events, ["complete 3", "complete 4", "complete 5"]);
  assert.deepEqual(r.counts, { received: 3, failed: 0, superseded: 2 });
});
