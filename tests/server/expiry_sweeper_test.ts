/**
 * The leader's expiry sweeper (src/server/node/expiry_sweeper.ts) with a fake
 * clock: bounded commands of both key lists, one in flight, nothing on a follower.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { EXPIRE_KEYS_PER_COMMAND_MAX } from "../../src/limits.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ExpirySweeper } from "../../src/server/node/expiry_sweeper.ts";
import { utf8 } from "../../src/util/bytes.ts";

function setup(due: number, leader = true) {
  const clock = new SimClock();
  const asked: { nowMs: number; max: number }[] = [];
  const sent: CommandInit[] = [];
  const pending: (() => void)[] = [];
  const state = { leader };
  const sweeper = new ExpirySweeper({
    clock,
    isLeader: () => state.leader,
    dueKeys: (nowMs, max) => {
      asked.push({ nowMs, max });
      // Half of what is due is Redis keys of database 3 (the 0x0B index).
      const n = Math.min(due, max), redis = Math.floor(n / 2);
      return Promise.resolve({
        keys: Array.from({ length: n - redis }, (_, i) => utf8(`k${i}`)),
        redisKeys: Array.from({ length: redis }, (_, i) => ({ db: 3, key: utf8(`h${i}`) })),
      });
    },
    execute: (command) => {
      sent.push(command);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  }, 100);
  return { clock, asked, sent, pending, state, sweeper };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("sweeper: one bounded expire_keys at a time, read up to the wall clock", async () => {
  const s = setup(EXPIRE_KEYS_PER_COMMAND_MAX * 3);
  s.sweeper.start();
  s.clock.advance(100);
  await settle();
  assert.equal(s.sent.length, 1);
  const body = s.sent[0].body;
  assert.equal(body?.case, "expireKeys");
  const listed = body?.case === "expireKeys"
    ? (body.value.keys?.length ?? 0) + (body.value.redisKeys?.length ?? 0)
    : 0;
  assert.equal(listed, EXPIRE_KEYS_PER_COMMAND_MAX, "both lists together within the limit");
  assert.equal(body?.case === "expireKeys" && body.value.redisKeys?.[0]?.db, 3);
  assert.deepEqual(s.asked, [{ nowMs: s.clock.wallMs(), max: EXPIRE_KEYS_PER_COMMAND_MAX }]);
  // While it is in flight, further ticks propose nothing (and do not even read).
  for (let i = 0; i < 5; i++) {
    s.clock.advance(100);
    await settle();
  }
  assert.equal(s.sent.length, 1);
  assert.equal(s.asked.length, 1);
  s.pending.shift()?.();
  await settle();
  s.clock.advance(100);
  await settle();
  assert.equal(s.sent.length, 2, "the next sweep goes on once the first applied");
  s.sweeper.stop();
  s.pending.shift()?.();
  s.clock.advance(1000);
  await settle();
  assert.equal(s.sent.length, 2, "a stopped sweeper proposes nothing");
});

test("sweeper: a follower reads and proposes nothing; nothing due proposes nothing", async () => {
  const follower = setup(10, false);
  follower.sweeper.start();
  for (let i = 0; i < 10; i++) {
    follower.clock.advance(100);
    await settle();
  }
  assert.equal(follower.asked.length, 0);
  assert.equal(follower.sent.length, 0);
  follower.state.leader = true; // it wins an election: it sweeps from its own index
  follower.clock.advance(100);
  await settle();
  assert.equal(follower.sent.length, 1);
  follower.sweeper.stop();
  const idle = setup(0);
  idle.sweeper.start();
  for (let i = 0; i < 5; i++) {
    idle.clock.advance(100);
    await settle();
  }
  assert.equal(idle.asked.length, 5);
  assert.equal(idle.sent.length, 0);
  idle.sweeper.stop();
});

test("sweeper: a failed proposal is logged and the next tick tries again", async () => {
  const clock = new SimClock();
  const lines: string[] = [];
  let calls = 0;
  const sweeper = new ExpirySweeper({
    clock,
    isLeader: () => true,
    dueKeys: () => Promise.resolve({ keys: [utf8("k")], redisKeys: [] }),
    execute: () => {
      calls++;
      return Promise.reject(new Error("not the leader"));
    },
    log: (line) => lines.push(line),
  }, 100);
  sweeper.start();
  clock.advance(100);
  await settle();
  clock.advance(100);
  await settle();
  sweeper.stop();
  assert.equal(calls, 2);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /expiry sweep: .*not the leader/);
});

test("sweeper: Redis keys alone are worth a command", async () => {
  const clock = new SimClock();
  const sent: CommandInit[] = [];
  const sweeper = new ExpirySweeper({
    clock,
    isLeader: () => true,
    dueKeys: () => Promise.resolve({ keys: [], redisKeys: [{ db: 9, key: utf8("h") }] }),
    execute: (command) => {
      sent.push(command);
      return Promise.resolve();
    },
  }, 100);
  sweeper.start();
  clock.advance(100);
  await settle();
  sweeper.stop();
  assert.equal(sent.length, 1);
  const body = sent[0].body;
  assert.deepEqual(body?.case === "expireKeys" ? body.value : undefined, {
    keys: [],
    redisKeys: [{ db: 9, key: utf8("h") }],
  });
});
