/**
 * The batch-protocol negotiation on a real port (src/server/proto/batch_hello.ts):
 * a node with a multi-region receiver answers a batch Hello with its version;
 * another version, a node without one (today's single-group node), a client
 * Hello asking for batches, and a single-group message to a multi-region node
 * are refused with an error response that says why, and the connection closes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { FrameSchema, HelloSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { MessageType } from "../../src/raft/core/messages.ts";
import type { KvService } from "../../src/server/kv_service.ts";
import { NodeBatchReceiver } from "../../src/server/peer/batch_receiver.ts";
import { messageFrames } from "../../src/server/peer/peer_frames.ts";
import { KvPort, type PeerSink } from "../../src/server/proto/kv_port.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { encodeFrame, FrameDecoder } from "../../src/util/frame.ts";
import { decodeWireFrame } from "../../src/wire/frame_codec.ts";

const platform = getPlatform();
const NO_SERVICE = {} as unknown as KvService;

/** Writes `frames` to a fresh connection; returns what the port answered until it closed. */
async function exchange(port: KvPort, frames: Uint8Array[]): Promise<string[]> {
  const conn = await platform.net.connect("127.0.0.1", port.port);
  const decoder = new FrameDecoder(1 << 20, 256);
  const answers: string[] = [];
  const closed = new Promise<void>((resolve) => {
    conn.setHandlers({
      onData: (chunk) => {
        for (const p of decoder.push(chunk)) {
          const b = decodeWireFrame(p).body;
          if (b.case === "hello") answers.push(`hello v${b.value.batchVersion}`);
          if (b.case === "response") answers.push(`error: ${b.value.error?.message}`);
        }
      },
      onClose: () => resolve(),
    });
  });
  conn.write(concatBytes(frames));
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 300));
  await Promise.race([closed, timeout]);
  conn.close();
  return answers;
}

function hello(nodeId: number, batchVersion: number): Uint8Array {
  const value = create(HelloSchema, { nodeId: BigInt(nodeId), batchVersion });
  return encodeFrame(
    toBinary(FrameSchema, create(FrameSchema, { body: { case: "hello", value } })),
  );
}

test("batch hello: accepted, another version refused, a single-group node refuses", async () => {
  const receiver = new NodeBatchReceiver({ selfId: 1, deliver: () => {} });
  const base = { net: platform.net, hostname: "127.0.0.1", port: 0, service: NO_SERVICE };
  const multi = await KvPort.start({ ...base, peers: receiver.sink() });
  const single: PeerSink = { onRaftMessage: () => {} };
  const old = await KvPort.start({ ...base, peers: single });
  try {
    const tagged = messageFrames({
      type: MessageType.TimeoutNow,
      from: 2,
      to: 1,
      term: 3,
    }, 7);
    const ok = exchange(multi, [hello(2, 1), ...tagged]);
    assert.deepEqual(await exchange(multi, [hello(2, 2)]), [
      "error: batch protocol version 2 is not supported (this node speaks 1)",
    ]);
    assert.deepEqual(await exchange(old, [hello(2, 1)]), [
      "error: this node takes no region-tagged batches (peer 2 asked for version 1)",
    ]);
    assert.deepEqual(await exchange(multi, [hello(0, 1)]), [
      "error: batch_version in a client Hello",
    ]);
    const single1 = messageFrames({ type: MessageType.TimeoutNow, from: 2, to: 1, term: 3 });
    assert.deepEqual(await exchange(multi, [hello(2, 0), ...single1]), [
      "error: a single-group Raft message from 2 to a multi-region node",
    ]);
    const garbage = encodeFrame(new Uint8Array([0x2a, 3, 0x08, 0xff, 0xff]));
    const [accepted, bad] = await exchange(multi, [hello(2, 1), garbage]);
    assert.equal(accepted, "hello v1");
    assert.match(bad, /^error: malformed frame/);
    assert.deepEqual(await ok, ["hello v1"]);
    assert.equal(receiver.counts.messages, 1);
  } finally {
    await multi.close();
    await old.close();
  }
});
