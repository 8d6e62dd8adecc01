/**
 * commandSpans / redisRequestSpans (src/server/node/command_spans.ts): a Redis request's keys are
 * read from the request as given (a write batch asks this per request, with no message built),
 * and agree with what the whole command's spans say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandSpans, redisRequestSpans } from "../../src/server/node/command_spans.ts";
import type { RedisRequestInit } from "../../src/server/node/leader_forwarder.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const cmd = (...args: string[]) => ({ args: args.map(utf8) });
const keysOf = (s: ReturnType<typeof redisRequestSpans>) =>
  s.kind === "keys" ? s.spans.map((r) => fromUtf8(r.key)) : s.kind;

test("redis request spans: commands' keys and watched keys; whole keyspace; none", () => {
  const cases: [RedisRequestInit, string[] | string][] = [
    [{ commands: [cmd("SET", "a", "1")] }, ["a"]],
    [{ commands: [cmd("MSET", "a", "1", "b", "2"), cmd("DEL", "c")] }, ["a", "b", "c"]],
    [{ watches: [{ key: utf8("w") }], commands: [cmd("INCR", "x")], multi: true }, ["w", "x"]],
    [{ commands: [cmd("FLUSHDB")] }, "everything"],
    [{ commands: [cmd("PING")] }, "unkeyed"],
    [{ commands: [{ args: [] }] }, "unkeyed"],
    [{}, "unkeyed"],
  ];
  for (const [request, want] of cases) {
    const got = redisRequestSpans(request);
    assert.deepEqual(keysOf(got), want);
    // The same as the command holding the request says (which builds the message first).
    assert.deepEqual(
      keysOf(commandSpans({ body: { case: "redis", value: request } })),
      want,
    );
  }
});
