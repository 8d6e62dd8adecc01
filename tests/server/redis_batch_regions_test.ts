/**
 * gatherRegionGroups (src/server/node/redis_batch_regions.ts): a RESP batch's parts, one per
 * region, answered in batch order; a part whose region changed runs request by request (each
 * routed again), and a part failed otherwise gives each of its requests that error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  RedisBatchResponseSchema,
  RedisResponseSchema,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { type CommandOutcome, ServiceError } from "../../src/server/kv_service.ts";
import type { RedisRequestInit } from "../../src/server/node/leader_forwarder.ts";
import { RegionChangedError } from "../../src/server/node/proposals.ts";
import { gatherRegionGroups } from "../../src/server/node/redis_batch_regions.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const request = (key: string): RedisRequestInit => ({
  db: 0,
  commands: [{ args: ["SET", key, "v"].map(utf8) }],
});

/** A request's key (the SET's second argument). */
const keyOf = (r: RedisRequestInit) => fromUtf8(r.commands?.[0]?.args?.[1] ?? new Uint8Array());

/** A lone request's outcome: its key as the reply. */
const answer = (r: RedisRequestInit): CommandOutcome => ({
  case: "redis",
  value: create(RedisResponseSchema, { reply: utf8(`ok ${keyOf(r)}`), db: 0 }),
});

/** A part's outcome: each request answered as alone. */
function answers(requests: readonly RedisRequestInit[]): CommandOutcome {
  const outcomes = requests.map((r) => ({ body: answer(r) }));
  return { case: "redisBatch", value: create(RedisBatchResponseSchema, { outcomes }) };
}

test("redis batch regions: parts answered in batch order; a changed region's part one by one", async () => {
  const requests = ["a", "b", "c", "d", "e"].map(request);
  const groups = [
    { region: { id: 1 }, at: [0, 3] },
    { region: { id: 2 }, at: [1, 4] }, // its region changed: request by request
    { region: { id: 3 }, at: [2] }, // failed: each request gets the error
  ];
  const alone: string[] = [];
  const outcome = await gatherRegionGroups(requests, groups, (g, command: CommandInit) => {
    if (command.body?.case !== "redisBatch") throw new Error("a part is a redisBatch");
    const part = command.body.value.requests ?? [];
    if (g.region.id === 2) {
      return Promise.reject(new RegionChangedError({ kind: "region-not-found", regionId: 2 }));
    }
    if (g.region.id === 3) {
      return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, "not the leader"));
    }
    return Promise.resolve(answers(part));
  }, (command) => {
    if (command.body?.case !== "redis") throw new Error("alone, a request is a redis command");
    alone.push(keyOf(command.body.value));
    return Promise.resolve(answer(command.body.value));
  });
  assert.equal(outcome.case, "redisBatch");
  if (outcome.case !== "redisBatch") return;
  assert.deepEqual(alone, ["b", "e"], "the changed region's requests went one by one");
  const got = outcome.value.outcomes.map((o) =>
    o.error !== undefined ? `error ${o.error.code}` : fromUtf8(
      o.body.case === "redis" ? o.body.value.reply : new Uint8Array(),
    )
  );
  assert.deepEqual(got, ["ok a", "ok b", `error ${ErrorCode.NOT_LEADER}`, "ok d", "ok e"]);
});
