/**
 * The peer transport's Raft messages, encoded and decoded: the protobuf-es
 * path (raft_codec.ts) against the hand-written one for appends, heartbeats
 * and their answers (raft_hot_codec.ts, raft_hot_decode.ts). An append of 1
 * and of 64 entries of 150 B (a put's command) and its answer. Under both
 * runtimes:
 *
 *   deno run -A bench/raft_wire_bench.ts      bun bench/raft_wire_bench.ts
 */
import { bench, do_not_optimize, group, run } from "mitata";
import { type Message, MessageType } from "../src/raft/core/messages.ts";
import { decodeWireFrame, encodeWireFrame } from "../src/wire/frame_codec.ts";
import { raftMessageFromWire, raftMessageToWire } from "../src/wire/raft_codec.ts";
import { encodeHotFrame, type HotMessage } from "../src/wire/raft_hot_codec.ts";
import { decodeHotRaftFrame } from "../src/wire/raft_hot_decode.ts";
import { createPrng } from "../src/util/prng.ts";
import { describeMachine } from "./machine.ts";

const prng = createPrng(1);

function append(n: number): HotMessage {
  const entries = Array.from({ length: n }, (_, i) => ({
    term: 7,
    index: 1_000_000 + i,
    type: 0 as const,
    data: prng.fill(new Uint8Array(150)),
  }));
  return {
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 7,
    index: 999_999,
    logTerm: 7,
    entries,
    commit: 999_990,
  };
}

const ack: HotMessage = {
  type: MessageType.AppResp,
  from: 2,
  to: 1,
  term: 7,
  index: 1_000_063,
  logTerm: 0,
  reject: false,
  rejectHint: 0,
};

function genericDecode(payload: Uint8Array, from: number): Message {
  const frame = decodeWireFrame(payload);
  if (frame.body.case !== "raft") throw new Error("not raft");
  return raftMessageFromWire(frame.body.value, from);
}

for (
  const [name, m] of [["append 1", append(1)], ["append 64", append(64)], ["ack", ack]] as const
) {
  const payload = encodeHotFrame(m).subarray(4);
  group(`${name}: encode`, () => {
    bench(
      "protobuf-es",
      () => do_not_optimize(encodeWireFrame({ case: "raft", value: raftMessageToWire(m) })),
    );
    bench("by hand", () => do_not_optimize(encodeHotFrame(m)));
  });
  group(`${name}: decode`, () => {
    bench("protobuf-es", () => do_not_optimize(genericDecode(payload, m.from)));
    bench("by hand", () => do_not_optimize(decodeHotRaftFrame(payload, m.from)));
  });
}

console.log(describeMachine());
await run();
