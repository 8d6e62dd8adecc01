/**
 * Fuzzes the protobuf port of a real node (docs/fuzzing.md): random and
 * damaged frames, one connection per case. Checks: every input that holds a
 * whole frame gets an answer or the close in bounded time (but a Hello and, after
 * a peer Hello, a liveness beat, which peers never answer); answers are valid
 * frames; the node keeps answering valid requests; nothing it stores changes;
 * connections are freed; memory stays bounded, also with connections that
 * announce huge frames and never send them.
 *
 * No state change by construction: a frame that the node would accept as a
 * write, an admin request or (after a peer Hello) a Raft message is cut from
 * the input before it is sent (`planProto`), so what remains must change nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Frame, FrameSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { FRAME_BYTES_MAX, PEER_ANNOUNCED_MAX } from "../../src/limits.ts";
import { decodeWireFrame, encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { fromBinary } from "@bufbuild/protobuf";
import { fuzzRun, runCases } from "./fuzz_run.ts";
import { assertMemoryBounded, FuzzNode, memoryNow, MiB } from "./fuzz_node.ts";
import { protoInput } from "./proto_inputs.ts";
import { RawSocket } from "./raw_socket.ts";
import { pieceCuts } from "./mutate.ts";

const FILE = "tests/fuzz/proto_fuzz_test.ts";
/** Bytes that make the node answer or close are answered within this (else: a hang). */
const ANSWER_MS = 5000;
/** Heap and buffers may grow this much over a run (after a full collection): not per case. */
/** Request bodies that read only; every other body is cut from the input. */
const READS = new Set(["get", "scan", "status", "watchCreate", "watchCancel", "leaseTimeToLive"]);
const ALSO_READS = new Set(["leaseList", undefined]);

interface ProtoPlan {
  /** The input up to its first state-changing frame. */
  readonly bytes: Uint8Array;
  /** True when the node must answer (a request, or bytes it rejects). */
  readonly expectAnswer: boolean;
}

function isStateChanging(frame: Frame, peer: boolean): boolean {
  const b = frame.body;
  if (b.case === "request") {
    return !READS.has(b.value.body.case ?? "") && !ALSO_READS.has(b.value.body.case);
  }
  return b.case === "raft" && peer;
}

/** Walks the frames as the port will; cuts the input before a frame that would change state. */
function planProto(input: Uint8Array): ProtoPlan {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let at = 0, peer = false, answered = false;
  while (at + 4 <= input.length) {
    const len = view.getUint32(at, false);
    if (len > FRAME_BYTES_MAX) return { bytes: input, expectAnswer: true };
    if (at + 4 + len > input.length) break;
    let frame: Frame;
    try {
      frame = decodeWireFrame(input.subarray(at + 4, at + 4 + len));
    } catch {
      return { bytes: input, expectAnswer: true }; // rejected: error frame, then the close
    }
    if (isStateChanging(frame, peer)) return { bytes: input.slice(0, at), expectAnswer: answered };
    if (frame.body.case === "hello" && frame.body.value.nodeId !== 0n) peer = true;
    // A Hello gets no answer, nor does a peer's liveness beat (a node's heartbeat to its peers,
    // after a peer Hello); a request is answered; anything else is rejected.
    const unanswered = frame.body.case === "hello" || (frame.body.case === "liveness" && peer);
    if (!unanswered) answered = true;
    at += 4 + len;
  }
  return { bytes: input, expectAnswer: answered };
}

/** Every whole frame the node sent must be a response. */
function checkAnswer(bytes: Uint8Array): string | undefined {
  let at = 0;
  while (at + 4 <= bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, false);
    if (at + 4 + len > bytes.length) break;
    const frame = fromBinary(FrameSchema, bytes.subarray(at + 4, at + 4 + len));
    if (frame.body.case !== "response") return `the node sent a ${frame.body.case} frame`;
    at += 4 + len;
  }
  return undefined;
}

test("protobuf port fuzz: no crash, hang, state change or unbounded memory", async () => {
  const run = fuzzRun(150);
  const node = await FuzzNode.start();
  try {
    const before = await node.digest();
    const connections = await node.openConnections();
    const memory = memoryNow();
    let n = 0, answered = 0;
    await runCases(FILE, run, async (prng, note) => {
      const input = protoInput(prng, node.auth.adminToken);
      const plan = planProto(input.bytes);
      const cuts = pieceCuts(prng, plan.bytes.length);
      note({
        label: `${input.label}${cuts.length > 0 ? ` cut at ${cuts}` : ""}`,
        bytes: plan.bytes,
      });
      const sock = await RawSocket.open(node.kvPort);
      try {
        await sock.writePieces(plan.bytes, cuts);
        const inTime = await sock.answered(plan.expectAnswer ? ANSWER_MS : 5);
        if (plan.expectAnswer && !inTime) {
          throw new Error(`no answer and no close within ${ANSWER_MS} ms`);
        }
        if (sock.receivedBytes > 0) answered++;
        const bad = checkAnswer(sock.received());
        if (bad !== undefined) throw new Error(bad);
      } finally {
        sock.close();
      }
      if (++n % 50 === 0) await node.assertAlive();
    });
    // The inputs reach the handlers: many cases get an answer frame.
    if (run.replay === undefined && n >= 50) assert.ok(answered > n / 4, `${answered} of ${n}`);
    await node.assertAlive();
    assert.equal(await node.digest(), before, `state changed (run seed ${run.seed})`);
    const after = await node.connectionsSettle(connections);
    assert.ok(
      after.protobuf <= connections.protobuf,
      `connections not freed: ${after.protobuf} (run seed ${run.seed})`,
    );
    assertMemoryBounded(memory, run.seed);
  } finally {
    await node.close();
  }
});

test("protobuf port: connections announcing huge frames hold no memory for them", async () => {
  const node = await FuzzNode.start();
  const socks: RawSocket[] = [];
  try {
    const before = memoryNow();
    for (let i = 0; i < 16; i++) {
      const sock = await RawSocket.open(node.kvPort);
      const head = new Uint8Array(14);
      new DataView(head.buffer).setUint32(0, FRAME_BYTES_MAX - i, false);
      sock.write(head);
      socks.push(sock);
    }
    // The node has read every prefix once it answers a request sent after them.
    await node.assertAlive();
    const held = await node.openConnections();
    assert.ok(held.protobuf >= 16, `only ${held.protobuf} connections open`);
    const grown = memoryNow().heapAndBuffers - before.heapAndBuffers;
    assert.ok(grown < 32 * MiB, `16 announced frames hold ${(grown / MiB).toFixed(0)} MiB`);
    assert.ok(socks.every((s) => !s.closed && s.receivedBytes === 0));
  } finally {
    socks.forEach((s) => s.close());
    await node.close();
  }
});

test("protobuf port: a flood of peer Hellos with made-up ids is remembered bounded", async () => {
  const node = await FuzzNode.start();
  try {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      frames.push(encodeWireFrame({
        case: "hello",
        value: { nodeId: BigInt(1000 + i), address: `10.0.0.1:${1000 + (i % 60_000)}` },
      }));
    }
    const sock = await RawSocket.open(node.kvPort);
    sock.write(concatBytes(frames));
    const book = node.server.node.addresses;
    // Every Hello was read once the newest one is known.
    for (let i = 0; i < 500 && book.get(5999) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(book.get(5999), "10.0.0.1:5999", "the Hellos were not read within 10 s");
    sock.close();
    await node.assertAlive();
    // This node plus the newest announcements: not one address (and peer link) per Hello.
    assert.equal(book.all().size, 1 + PEER_ANNOUNCED_MAX);
  } finally {
    await node.close();
  }
});
