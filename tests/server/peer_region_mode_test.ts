/**
 * The region mode in the peer Hello (src/server/peer/region_mode.ts): a port whose node splits
 * answers a peer of its mode, refuses one that runs one region (or an older build, which says
 * no mode) with an error naming `--region-split-bytes`, in the same words as the sender's side;
 * the sender's handshake takes an answer of another mode, or that refusal, as a RegionModeError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { FrameSchema, HelloSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { KvService } from "../../src/server/kv_service.ts";
import { NodeBatchReceiver } from "../../src/server/peer/batch_receiver.ts";
import { BatchHandshake } from "../../src/server/peer/peer_handshake.ts";
import {
  REGION_MODE_ONE,
  REGION_MODE_SPLIT,
  RegionModeError,
  regionModeMismatch,
} from "../../src/server/peer/region_mode.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { encodeFrame, FrameDecoder } from "../../src/util/frame.ts";
import { decodeWireFrame, encodeWireFrame } from "../../src/wire/frame_codec.ts";

const platform = getPlatform();
const NO_SERVICE = {} as unknown as KvService;

function hello(nodeId: number, regionMode: number): Uint8Array {
  const value = create(HelloSchema, { nodeId: BigInt(nodeId), batchVersion: 1, regionMode });
  return encodeFrame(
    toBinary(FrameSchema, create(FrameSchema, { body: { case: "hello", value } })),
  );
}

/** Sends a peer Hello; returns the port's answer ("hello v1 mode M" or "error: …"). */
async function answer(port: KvPort, frame: Uint8Array): Promise<string> {
  const conn = await platform.net.connect("127.0.0.1", port.port);
  const decoder = new FrameDecoder(1 << 20, 256);
  const answers: string[] = [];
  const closed = new Promise<void>((resolve) => {
    conn.setHandlers({
      onData: (chunk) => {
        for (const p of decoder.push(chunk)) {
          const b = decodeWireFrame(p).body;
          if (b.case === "hello") {
            answers.push(`hello v${b.value.batchVersion} mode ${b.value.regionMode}`);
          }
          if (b.case === "response") answers.push(`error: ${b.value.error?.message}`);
        }
      },
      onClose: () => resolve(),
    });
  });
  conn.write(frame);
  await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 300))]);
  conn.close();
  assert.equal(answers.length, 1, String(answers));
  return answers[0];
}

test("region mode: the mismatch names both nodes and the flag, alike on both sides", () => {
  const split = { id: 1, mode: REGION_MODE_SPLIT };
  const one = { id: 3, mode: REGION_MODE_ONE };
  assert.equal(regionModeMismatch(split, { id: 2, mode: REGION_MODE_SPLIT }), undefined);
  assert.equal(regionModeMismatch(one, { id: 2, mode: 0 }), undefined, "0: an older build");
  const why = regionModeMismatch(split, one);
  assert.equal(why, regionModeMismatch(one, split));
  assert.match(
    why ?? "",
    /^node 1 splits regions .* but node 3 runs one region \(--region-split-bytes 0\): .*same --region-split-bytes setting/,
  );
  assert.equal(regionModeMismatch(split, { id: 3, mode: 0 }), why);
});

test("region mode: a splitting node's port answers its mode and refuses the other", async () => {
  const receiver = new NodeBatchReceiver({
    selfId: 1,
    deliver: () => {},
    regionMode: () => REGION_MODE_SPLIT,
  });
  const port = await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service: NO_SERVICE,
    peers: receiver.sink(),
  });
  try {
    assert.equal(await answer(port, hello(2, REGION_MODE_SPLIT)), "hello v1 mode 2");
    const refused = await answer(port, hello(3, REGION_MODE_ONE));
    assert.equal(refused, `error: ${regionModeMismatch({ id: 1, mode: 2 }, { id: 3, mode: 1 })}`);
    assert.equal(await answer(port, hello(3, 0)), refused, "an older build: one region");
  } finally {
    await port.close();
  }
});

test("region mode: the sender's handshake refuses an answer of the other mode", () => {
  const answerOf = (regionMode: number) =>
    encodeWireFrame({ case: "hello", value: { batchVersion: 1, regionMode } });
  const self = { id: 3, mode: REGION_MODE_ONE };
  assert.equal(new BatchHandshake(1, 1, self).onData(answerOf(REGION_MODE_ONE)), true);
  assert.equal(new BatchHandshake(1, 1, self).onData(answerOf(0)), true, "an older build");
  const other = new BatchHandshake(1, 1, self).onData(answerOf(REGION_MODE_SPLIT));
  assert.ok(other instanceof RegionModeError, String(other));
  assert.match(other.message, /--region-split-bytes/);
  const why = regionModeMismatch(self, { id: 1, mode: REGION_MODE_SPLIT }) ?? "";
  const error = encodeWireFrame({
    case: "response",
    value: { error: { code: 3, message: why } },
  });
  const refused = new BatchHandshake(1, 1, self).onData(error);
  assert.ok(refused instanceof RegionModeError, String(refused));
  // Without a mode of its own (a link that does not check), any answer of the version is taken.
  assert.equal(new BatchHandshake(1, 1).onData(answerOf(REGION_MODE_SPLIT)), true);
});
