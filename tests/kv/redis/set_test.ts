/**
 * Redis sets run by the state machine (src/kv/redis/commands/set_*.ts):
 * replies, keyspace events, TinyKV's limits, SPOP's determinism across
 * replicas, MULTI/EXEC. The expected replies and events were checked against
 * redis-server 7.0.15 (set replies as sorted contents; TinyKV returns members
 * in byte order).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  REDIS_COLLECTION_KEY_BYTES_MAX,
  REDIS_MEMBER_BYTES_MAX,
  REDIS_MEMBER_WRITES_MAX,
  REDIS_RANDOM_MEMBERS_MAX,
} from "../../../src/limits.ts";
import { type Expected, SET_CASES } from "./set_cases.ts";
import { RedisHarness, type Shown, sorted } from "./set_harness.ts";

function check(got: Shown, want: Expected, what: string): void {
  if (want !== null && typeof want === "object" && "anyOrder" in want) {
    assert.ok(Array.isArray(got), `${what}: an array reply`);
    assert.deepEqual(sorted(got), [...want.anyOrder].sort(), what);
  } else assert.deepEqual(got, want, what);
}

for (const c of SET_CASES) {
  test(`sets: ${c.name}`, async () => {
    const h = await RedisHarness.open();
    for (const [command, want] of c.steps) {
      check(await h.run(...command.split(" ")), want, command);
    }
  });
}

test("sets: keyspace events are Redis's, in Redis's order", async () => {
  const h = await RedisHarness.open();
  const steps: [string, string[]][] = [
    ["SADD s a b", ["sadd s"]],
    ["SADD s a", []],
    ["SREM s z", []],
    ["SREM s a", ["srem s"]],
    ["SREM s b", ["srem s", "del s"]],
    ["SADD s a b c", ["sadd s"]],
    ["SPOP s", ["spop s"]],
    ["SPOP s 0", []],
    ["SPOP s 1", ["spop s"]],
    ["SPOP s 5", ["spop s", "del s"]],
    ["SPOP s", []],
    ["SADD a x y", ["sadd a"]],
    ["SADD b y", ["sadd b"]],
    ["SMOVE a b x", ["srem a", "sadd b"]],
    ["SMOVE a b y", ["srem a", "del a"]],
    ["SMOVE b b y", []],
    ["SINTERSTORE d b b", ["sinterstore d"]],
    ["SINTERSTORE d b nosuch", ["del d"]],
    ["SUNIONSTORE d b", ["sunionstore d"]],
    ["SDIFFSTORE d b b", ["del d"]],
    ["SDIFFSTORE nosuch b b", []],
    ["SET str v", ["set str"]],
    ["SUNIONSTORE str b", ["sunionstore str"]],
    ["SELECT 3", []],
    ["SADD s a", ["3:sadd s"]],
  ];
  for (const [command, events] of steps) {
    await h.run(...command.split(" "));
    assert.deepEqual(h.events(), events, command);
  }
});

test("sets: TinyKV's limits refuse a command before it writes anything", async () => {
  const h = await RedisHarness.open();
  const long = "m".repeat(REDIS_MEMBER_BYTES_MAX + 1);
  assert.deepEqual(await h.run("SADD", "s", "a", long), {
    error: `ERR member or field of ${long.length} bytes is over TinyKV's limit of ` +
      `${REDIS_MEMBER_BYTES_MAX} bytes`,
  });
  assert.equal(await h.run("EXISTS", "s"), 0, "the valid member was not added either");
  assert.equal(await h.run("SADD", "s", "m".repeat(REDIS_MEMBER_BYTES_MAX)), 1);
  assert.equal(await h.run("SISMEMBER", "s", long), 0);
  assert.deepEqual(await h.run("SMISMEMBER", "s", long, "m".repeat(REDIS_MEMBER_BYTES_MAX)), [
    0,
    1,
  ]);
  assert.equal(await h.run("SREM", "s", long), 0);
  const longKey = "k".repeat(REDIS_COLLECTION_KEY_BYTES_MAX + 1);
  const keyError = {
    error: `ERR key of a set of ${longKey.length} bytes is over TinyKV's limit of ` +
      `${REDIS_COLLECTION_KEY_BYTES_MAX} bytes`,
  };
  assert.deepEqual(await h.run("SADD", longKey, "a"), keyError);
  assert.deepEqual(await h.run("SUNIONSTORE", longKey, "s"), keyError);
  assert.deepEqual(
    await h.run("SMOVE", "s", longKey, "m".repeat(REDIS_MEMBER_BYTES_MAX)),
    keyError,
  );
  assert.equal(await h.run("SCARD", "s"), 1, "SMOVE left the source alone");
  assert.equal(await h.run("DBSIZE"), 1);
});

test("sets: one command writes at most REDIS_MEMBER_WRITES_MAX members", async () => {
  const h = await RedisHarness.open();
  const many = Array.from({ length: REDIS_MEMBER_WRITES_MAX + 2 }, (_, i) => `m${i}`);
  const over = (command: string, n: number) => ({
    error: `ERR ${command} would write ${n} members, over TinyKV's limit of ` +
      `${REDIS_MEMBER_WRITES_MAX} per command`,
  });
  assert.deepEqual(await h.run("SADD", "big", ...many), over("SADD", many.length));
  assert.equal(await h.run("EXISTS", "big"), 0);
  const half = Math.ceil(many.length / 2);
  assert.equal(await h.run("SADD", "big", ...many.slice(0, half)), half);
  assert.equal(await h.run("SADD", "big", ...many.slice(half)), many.length - half);
  assert.equal(await h.run("SCARD", "big"), many.length);
  assert.deepEqual(await h.run("SREM", "big", ...many), over("SREM", many.length));
  assert.deepEqual(await h.run("SUNIONSTORE", "copy", "big"), over("SUNIONSTORE", many.length));
  assert.deepEqual(
    await h.run("SPOP", "big", String(many.length - 1)),
    over("SPOP", many.length - 1),
  );
  assert.equal(await h.run("SCARD", "big"), many.length, "nothing was popped");
  // Popping everything drops the set whole: no per-member writes, no limit.
  const all = await h.run("SPOP", "big", String(many.length));
  assert.deepEqual(sorted(all), [...many].sort());
  assert.equal(await h.run("DBSIZE"), 0);
});

test("sets: SRANDMEMBER counts and shapes; a negative count repeats, up to a limit", async () => {
  const h = await RedisHarness.open();
  const members = ["a", "b", "c", "d", "e"];
  await h.run("SADD", "s", ...members);
  for (let i = 0; i < 10; i++) {
    const one = await h.run("SRANDMEMBER", "s");
    assert.ok(typeof one === "string" && members.includes(one));
    const two = sorted(await h.run("SRANDMEMBER", "s", "2"));
    assert.equal(two.length, 2);
    assert.notEqual(two[0], two[1], "a positive count gives distinct members");
    const eight = sorted(await h.run("SRANDMEMBER", "s", "-8"));
    assert.equal(eight.length, 8);
    assert.ok(eight.every((m) => members.includes(m)));
  }
  const limit = REDIS_RANDOM_MEMBERS_MAX;
  assert.deepEqual(await h.run("SRANDMEMBER", "s", String(-(limit + 1))), {
    error: `ERR SRANDMEMBER count of ${limit + 1} members is over TinyKV's limit of ${limit}`,
  });
  assert.equal(sorted(await h.run("SRANDMEMBER", "s", String(-limit))).length, limit);
  assert.deepEqual(await h.run("SRANDMEMBER", "nosuch", String(-(limit + 1))), []);
  assert.equal(await h.run("SCARD", "s"), 5, "SRANDMEMBER removes nothing");
});

test("sets: SPOP removes what it returns, members drawn across the whole set", async () => {
  const h = await RedisHarness.open();
  const members = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, "0")}`);
  await h.run("SADD", "s", ...members);
  const popped: string[] = [];
  const first = await h.run("SPOP", "s");
  assert.equal(typeof first, "string");
  popped.push(String(first));
  const some = await h.run("SPOP", "s", "9");
  assert.ok(some !== null && typeof some === "object" && "set" in some, "SPOP count: a set reply");
  popped.push(...sorted(some));
  assert.equal(new Set(popped).size, 10, "ten distinct members");
  assert.equal(await h.run("SCARD", "s"), 30);
  for (const m of popped) assert.equal(await h.run("SISMEMBER", "s", m), 0, m);
  const left = sorted(await h.run("SMEMBERS", "s"));
  assert.deepEqual([...left, ...popped].sort(), members);
  // Ten uniform draws out of forty all falling in the lower half: odds about 1 in 4,000,000.
  assert.ok(popped.some((m) => m >= "m20"), `draws reach the upper half: ${popped}`);
  assert.ok(popped.some((m) => m < "m20"), `draws reach the lower half: ${popped}`);
});

test("sets: SPOP is the same on every replica: same state, same revision, same pops", async () => {
  const script = [
    ["SADD", "s", ...Array.from({ length: 50 }, (_, i) => `member-${i}`)],
    ["SPOP", "s"],
    ["SPOP", "s", "7"],
    ["SPOP", "s"],
    ["SMEMBERS", "s"],
  ];
  const replicas = [await RedisHarness.open(), await RedisHarness.open()];
  const results = [];
  for (const h of replicas) {
    const replies: Shown[] = [];
    for (const command of script) replies.push(await h.run(...command));
    replies.push(await h.multi(["SPOP", "s", "3"], ["SPOP", "s"]));
    results.push(replies);
  }
  assert.deepEqual(results[0], results[1]);
  assert.equal(sorted(results[0][4]).length, 50 - 9);
});

test("sets: MULTI/EXEC runs set commands as one step, each seeing the one before", async () => {
  const h = await RedisHarness.open();
  await h.run("SET", "str", "v");
  const reply = await h.multi(
    ["SADD", "s", "a", "b", "c"],
    ["SADD", "t", "c", "d"],
    ["SINTERSTORE", "u", "s", "t"],
    ["SADD", "str", "x"],
    ["SMOVE", "s", "t", "a"],
    ["SREM", "u", "c"],
    ["EXISTS", "u"],
    ["SUNION", "s", "t"],
    ["SCARD", "t"],
  );
  assert.deepEqual(reply, [
    3,
    2,
    1,
    { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    1,
    1,
    0,
    { set: ["a", "b", "c", "d"] },
    3,
  ]);
  assert.deepEqual(h.events(), [
    "set str",
    "sadd s",
    "sadd t",
    "sinterstore u",
    "srem s",
    "sadd t",
    "srem u",
    "del u",
  ]);
  assert.equal(await h.run("DBSIZE"), 3);
});
