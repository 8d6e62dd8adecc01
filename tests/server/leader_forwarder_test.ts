/**
 * The forwarder's connect is bounded by the request's timeout (leader_forwarder.ts `#opened`): a
 * connect that never completes (a SYN the kernel keeps retrying) fails the request UNAVAILABLE
 * in time, and the next request connects again, rather than every caller waiting for good.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn, Net } from "../../src/platform/types.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { LeaderForwarder } from "../../src/server/node/leader_forwarder.ts";

test("forwarder: a connect that never completes fails the request in time; the next connects again", async () => {
  let connects = 0;
  const net: Net = {
    listen: () => Promise.reject(new Error("not used")),
    connect: () => {
      connects++;
      return new Promise<Conn>(() => {}); // never opens
    },
  };
  const f = new LeaderForwarder(net, getPlatform().clock);
  try {
    for (const attempt of [1, 2]) {
      const body = { case: "status" as const, value: {} };
      await assert.rejects(f.forwardRequest("127.0.0.1:1", body, 50), (err: unknown) => {
        assert.ok(err instanceof ServiceError);
        assert.equal(err.code, ErrorCode.UNAVAILABLE);
        assert.match(err.message, /no connection to 127\.0\.0\.1:1 within 50 ms/);
        return true;
      });
      assert.equal(connects, attempt);
    }
  } finally {
    f.close();
  }
});
