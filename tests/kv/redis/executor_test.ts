/**
 * The Redis executor inside the state machine: one request applies at one
 * revision, a command's error is its own reply, MULTI/EXEC with WATCH decides
 * conflicts at apply, databases are separate. Replies checked against
 * redis-server 7.0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReadStorage } from "../../../src/kv/redis/read_storage.ts";
import { watchToken } from "../../../src/kv/redis/watch_token.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { plain, RedisBench } from "./redis_helpers.ts";

function token(b: RedisBench, db: number, key: string): number {
  const kv = b.service.kv;
  const storage = new ReadStorage(kv.db, kv.readNow, (d) => kv.redisKeyCount(d));
  return watchToken(storage, db, utf8(key));
}

test("redis executor: a request's commands apply in order at one revision; errors stay per command", async () => {
  const b = await RedisBench.open();
  const r = await b.apply([["SET", "a", "1"], ["INCR", "nope", "x"], ["INCR", "a"], [
    "BOGUS",
    "x",
  ]]);
  assert.deepEqual(plain(r.reply), [
    "OK",
    { err: "ERR wrong number of arguments for 'incr' command" },
    2,
    { err: "ERR unknown command 'BOGUS', with args beginning with: 'x' " },
  ]);
  const kv = b.service.kv;
  assert.equal(kv.get(utf8("a"))?.modRevision, kv.revision, "both writes share one revision");
});

test("redis executor: MULTI with a failing command still runs the others (Redis's rule)", async () => {
  const b = await RedisBench.open();
  await b.write(["SET", "s", "text"]);
  const r = await b.apply([["INCR", "s"], ["SET", "t", "1"]], { multi: true });
  assert.deepEqual(plain(r.reply), [{ err: "ERR value is not an integer or out of range" }, "OK"]);
  assert.deepEqual(plain(b.read(["GET", "t"])), "1");
});

test("redis executor: WATCH aborts EXEC when a key was written, deleted or expired; else it runs", async () => {
  const b = await RedisBench.open();
  await b.write(["SET", "w", "1"]);
  await b.write(["SET", "ttl", "1", "PX", "100"], { nowMs: 1_000_000 });
  const run = async (key: string, change: () => Promise<unknown>, nowMs = 1_000_010) => {
    const watches = [{ db: 0, key: utf8(key), revision: token(b, 0, key) }];
    await change();
    const r = await b.apply([["SET", "out", key]], { multi: true, watches, nowMs });
    return plain(r.reply);
  };
  assert.equal(await run("w", () => b.write(["SET", "w", "2"])), null, "written");
  assert.equal(await run("w", () => b.write(["DEL", "w"])), null, "deleted");
  assert.equal(await run("ttl", () => Promise.resolve(), 1_000_200), null, "expired");
  assert.deepEqual(await run("w", () => b.write(["SET", "other", "x"])), ["OK"], "untouched");
  assert.equal(
    await run("ghost", async () => {
      await b.write(["SET", "ghost", "1"]);
      await b.write(["DEL", "ghost"]);
    }),
    null,
    "absent when watched, created and deleted since (database 0 keeps the record)",
  );
  assert.deepEqual(plain(b.read(["GET", "out"])), "w", "only the untouched EXEC wrote");
});

test("redis executor: databases are separate and SELECT inside MULTI carries over", async () => {
  const b = await RedisBench.open();
  const r = await b.apply([["SET", "k", "zero"], ["SELECT", "5"], ["SET", "k", "five"]], {
    multi: true,
  });
  assert.deepEqual(plain(r.reply), ["OK", "OK", "OK"]);
  assert.equal(r.db, 5);
  assert.deepEqual(plain(b.read(["GET", "k"], 0)), "zero");
  assert.deepEqual(plain(b.read(["GET", "k"], 5)), "five");
  assert.deepEqual(plain(b.read(["DBSIZE"], 5)), 1);
  assert.deepEqual(plain(b.read(["DBSIZE"], 3)), 0);
  assert.deepEqual(plain(await b.write(["SELECT", "16"])), { err: "ERR DB index is out of range" });
  await b.write(["FLUSHDB"], { db: 5 });
  assert.deepEqual(plain(b.read(["DBSIZE"], 5)), 0);
  assert.deepEqual(plain(b.read(["GET", "k"], 0)), "zero", "FLUSHDB leaves other databases");
  await b.write(["FLUSHALL"], { db: 5 });
  assert.deepEqual(plain(b.read(["DBSIZE"], 0)), 0);
});

test("redis executor: SET's options and errors match Redis 7", async () => {
  const b = await RedisBench.open();
  const cases: [string[], unknown][] = [
    [["SET", "k", "v", "NX", "XX"], { err: "ERR syntax error" }],
    [["SET", "k", "v", "EX", "10", "PX", "100"], { err: "ERR syntax error" }],
    [["SET", "k", "v", "EX", "0"], { err: "ERR invalid expire time in 'set' command" }],
    [["SET", "k", "v", "EX", "-5"], { err: "ERR invalid expire time in 'set' command" }],
    [["SET", "k", "v", "EX", "x"], { err: "ERR value is not an integer or out of range" }],
    [["SET", "k", "v", "EX"], { err: "ERR syntax error" }],
    [["SET", "k", "v", "GET"], null],
    [["SET", "k", "w", "NX", "GET"], "v"],
    [["SET", "k", "w", "XX", "GET"], "v"],
    [["SET", "k", "x", "KEEPTTL"], "OK"],
    [["SET", "n", "1", "XX"], null],
  ];
  for (const [cmd, want] of cases) assert.deepEqual(plain(await b.write(cmd)), want, cmd.join(" "));
  assert.deepEqual(plain(b.read(["GET", "k"])), "x");
});

test("redis executor: a key set with an expiry is gone once the replicated clock passes it", async () => {
  const b = await RedisBench.open();
  await b.write(["SET", "e", "v", "PX", "50"], { nowMs: 2_000_000 });
  assert.deepEqual(plain(b.read(["GET", "e"])), "v");
  await b.write(["SET", "tick", "1"], { nowMs: 2_000_050 });
  assert.equal(plain(b.read(["GET", "e"])), null, "expired at exactly its time");
  assert.deepEqual(plain(await b.write(["SET", "e", "new", "NX"], { nowMs: 2_000_060 })), "OK");
});

test("redis executor: a lone command that fails changes nothing, even after some of its writes", async () => {
  const b = await RedisBench.open();
  const tooLong = "k".repeat(5_000);
  const r = plain(await b.write(["MSET", "first", "1", tooLong, "2"])) as { err: string };
  assert.match(r.err, /^ERR key of 5000 bytes is over TinyKV's limit/);
  assert.equal(plain(b.read(["EXISTS", "first"])), 0, "the pair before the bad key was not kept");
  assert.equal(b.service.kv.revision, 0, "nothing moved the store's revision");
});

test("redis executor: MEMORY USAGE estimates a key's bytes; errors as redis-server 7.0", async () => {
  const b = await RedisBench.open();
  await b.write(["SET", "k", "v".repeat(100)]);
  await b.write(["HSET", "h", ...Array.from({ length: 40 }, (_, i) => [`f${i}`, "x"]).flat()]);
  const str = plain(b.read(["MEMORY", "USAGE", "k"])) as number;
  assert.ok(str > 101, `a string counts its name and value: ${str}`);
  const hash = plain(b.read(["MEMORY", "USAGE", "h", "SAMPLES", "0"])) as number;
  assert.ok(hash > 40 * 3, `a hash counts every field: ${hash}`);
  assert.equal(plain(b.read(["MEMORY", "USAGE", "nokey"])), null);
  const errors: [string[], string][] = [
    [["MEMORY", "FOO"], "ERR unknown subcommand 'FOO'. Try MEMORY HELP."],
    [["MEMORY", "USAGE", "k", "SAMPLES"], "ERR syntax error"],
    [["MEMORY", "USAGE", "k", "SAMPLES", "x"], "ERR value is not an integer or out of range"],
    [["MEMORY", "USAGE", "k", "SAMPLES", "-1"], "ERR syntax error"],
  ];
  for (const [cmd, err] of errors) assert.deepEqual(plain(b.read(cmd)), { err }, cmd.join(" "));
});
