/**
 * RedisKeyOrder (src/server/node/redis_key_order.ts): requests of one region start at once; a
 * run across regions waits for the requests before it naming its keys, and a request naming a
 * key of a run in flight waits for that run; keys not shared never wait; nothing is held once
 * everything settled, failures included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RedisKeyOrder } from "../../src/server/node/redis_key_order.ts";
import { utf8 } from "../../src/util/bytes.ts";

/** A request the test finishes by hand; `started` tells whether it began. */
function pending(log: string[], name: string) {
  let finish: (ok: boolean) => void = () => {};
  const r = {
    started: false,
    start: () => {
      r.started = true;
      log.push(name);
      return new Promise<string>((resolve, reject) => {
        finish = (ok) => ok ? resolve(name) : reject(new Error(name));
      });
    },
    finish: (ok = true) => finish(ok),
  };
  return r;
}

const keys = (...k: string[]) => k.map(utf8);
const turn = () => new Promise((r) => setTimeout(r, 0));

test("redis key order: a run across regions waits for earlier requests of its keys", async () => {
  const order = new RedisKeyOrder(), log: string[] = [];
  const set = pending(log, "SET a"), other = pending(log, "SET z");
  const rename = pending(log, "RENAME a b"), after = pending(log, "SET b");
  const p1 = order.run(keys("a"), false, set.start);
  const p2 = order.run(keys("z"), false, other.start);
  const p3 = order.run(keys("a", "b"), true, rename.start);
  const p4 = order.run(keys("b"), false, after.start);
  assert.deepEqual([set.started, other.started, rename.started, after.started], [
    true,
    true,
    false,
    false,
  ]);
  set.finish(false); // a failure releases its keys too
  await turn();
  assert.equal(rename.started, true, "the run starts once the SET settled");
  assert.equal(after.started, false, "the SET after the run waits for it");
  rename.finish();
  await turn();
  assert.equal(after.started, true);
  other.finish();
  after.finish();
  await assert.rejects(p1);
  assert.deepEqual(await Promise.all([p2, p3, p4]), ["SET z", "RENAME a b", "SET b"]);
  assert.deepEqual(log, ["SET a", "SET z", "RENAME a b", "SET b"]);
  await turn();
  assert.equal(order.size, 0, "nothing held");
});

test("redis key order: requests of one region never wait for each other", async () => {
  const order = new RedisKeyOrder(), log: string[] = [];
  const first = pending(log, "1"), second = pending(log, "2");
  const p = [order.run(keys("a"), false, first.start), order.run(keys("a"), false, second.start)];
  assert.deepEqual([first.started, second.started], [true, true]);
  first.finish();
  second.finish();
  await Promise.all(p);
  await turn();
  assert.equal(order.size, 0);
});

test("redis key order: unrelated requests start during a run; a later run waits for them", async () => {
  const order = new RedisKeyOrder(), log: string[] = [];
  const run1 = pending(log, "RENAME a b"), plain = pending(log, "SET y");
  const run2 = pending(log, "RENAME y z");
  const p1 = order.run(keys("a", "b"), true, run1.start);
  // A run is in flight (its keys held): a request of other keys still starts at once ...
  const p2 = order.run(keys("y"), false, plain.start);
  assert.deepEqual([run1.started, plain.started], [true, true]);
  // ... and a run naming its key waits for it, though it started while the first run held keys.
  const p3 = order.run(keys("y", "z"), true, run2.start);
  assert.equal(run2.started, false);
  plain.finish();
  await turn();
  assert.equal(run2.started, true);
  run1.finish();
  run2.finish();
  assert.deepEqual(await Promise.all([p1, p2, p3]), ["RENAME a b", "SET y", "RENAME y z"]);
  await turn();
  assert.equal(order.size, 0, "nothing held");
});
