/**
 * The client port's commonest frames, encoded and decoded: protobuf-es against the hand-written
 * path (src/wire/client_hot_codec.ts) for a routed put of 100 B, a get, and their answers, as the
 * node reads requests and the client writes them and reads the answers. Under both runtimes:
 *
 *   deno run -A bench/client_wire_bench.ts      bun bench/client_wire_bench.ts
 */
import { bench, do_not_optimize, group, run } from "mitata";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  ClientResponseSchema,
  FrameSchema,
} from "../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  decodeHotRequestFrame,
  decodeHotResponseFrame,
  encodeHotRequestFrame,
} from "../src/wire/client_hot_codec.ts";
import { encodeFrame } from "../src/util/frame.ts";
import { createPrng } from "../src/util/prng.ts";
import { describeMachine } from "./machine.ts";

const prng = createPrng(1);
const key = new TextEncoder().encode("bench-0000000421");
const route = { regionId: 7n, epoch: { version: 3n, confVer: 2n } };
const requests = {
  "put 100 B": { case: "put" as const, value: { key, value: prng.fill(new Uint8Array(100)) } },
  "get": { case: "get" as const, value: { key, consistency: 1 } },
};
const answers = {
  "write answer": { case: "write" as const, value: { index: 81_234n, revision: 81_234n } },
  "get answer": {
    case: "get" as const,
    value: {
      found: true,
      value: prng.fill(new Uint8Array(100)),
      modRevision: 81_000n,
      createRevision: 1_200n,
      version: 40n,
      revision: 81_234n,
    },
  },
};

for (const [name, body] of Object.entries(requests)) {
  const init = { requestId: 12_345, clientId: 991, sequence: 77, timeoutMs: 10_000, body, route };
  const message = create(ClientRequestSchema, {
    ...init,
    requestId: 12_345n,
    clientId: 991n,
    sequence: 77n,
  });
  const payload = toBinary(
    FrameSchema,
    create(FrameSchema, { body: { case: "request", value: message } }),
  );
  group(`${name}: the client writes it`, () => {
    bench("protobuf-es", () => {
      const m = create(ClientRequestSchema, {
        ...init,
        requestId: 12_345n,
        clientId: 991n,
        sequence: 77n,
      });
      const f = create(FrameSchema, { body: { case: "request", value: m } });
      return do_not_optimize(encodeFrame(toBinary(FrameSchema, f)));
    });
    bench("by hand", () => do_not_optimize(encodeHotRequestFrame(init)));
  });
  group(`${name}: the node reads it`, () => {
    bench("protobuf-es", () => do_not_optimize(fromBinary(FrameSchema, payload)));
    bench("by hand", () => do_not_optimize(decodeHotRequestFrame(payload)));
  });
}

for (const [name, body] of Object.entries(answers)) {
  const message = create(ClientResponseSchema, { requestId: 12_345n, body });
  const payload = toBinary(
    FrameSchema,
    create(FrameSchema, { body: { case: "response", value: message } }),
  );
  group(`${name}: the client reads it`, () => {
    bench("protobuf-es", () => do_not_optimize(fromBinary(FrameSchema, payload)));
    bench("by hand", () => do_not_optimize(decodeHotResponseFrame(payload)));
  });
}

console.log(describeMachine());
await run();
