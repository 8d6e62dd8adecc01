import { test } from "node:test";
import assert from "node:assert/strict";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { HistoryRetention } from "../../src/server/node/history_retention.ts";
import type { Clock } from "../../src/platform/types.ts";

function setup(o: { revisions: number; ageMs: number }) {
  let now = 0, revision = 0, compacted = 0, leader = true;
  const proposed: number[] = [];
  const clock: Clock = {
    nowMs: () => now,
    wallMs: () => now,
    setTimeout: () => 0,
    clearTimeout: () => {},
  };
  const r = new HistoryRetention({
    clock,
    isLeader: () => leader,
    revision: () => revision,
    compacted: () => compacted,
    execute: (c: CommandInit) => {
      const b = c.body;
      if (b?.case === "compact") {
        proposed.push(Number(b.value?.revision));
        compacted = Number(b.value?.revision);
      }
      return Promise.resolve();
    },
  }, { ...o, checkMs: 1000 });
  return {
    r,
    proposed,
    step(ms: number, rev: number) {
      now += ms;
      revision = rev;
      r.check();
    },
    lead(v: boolean) {
      leader = v;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("retention: by count, the leader compacts once the history is a tenth past the limit", async () => {
  const s = setup({ revisions: 1000, ageMs: 0 });
  s.step(1000, 1050);
  await settle();
  assert.deepEqual(s.proposed, [], "50 past the limit: not worth a compaction yet");
  s.step(1000, 1100);
  await settle();
  assert.deepEqual(s.proposed, [100]);
  s.lead(false);
  s.step(1000, 5000);
  await settle();
  assert.deepEqual(s.proposed, [100], "a follower never proposes");
});

test("retention: by age, the newest revision older than the age is the target", async () => {
  const s = setup({ revisions: 0, ageMs: 10_000 });
  for (let t = 1; t <= 10; t++) s.step(1000, t * 100);
  await settle();
  assert.deepEqual(s.proposed, [], "nothing is 10 s old yet");
  s.step(1000, 1100); // now 11 s: the sample of 1 s (revision 100) is 10 s old
  await settle();
  assert.deepEqual(s.proposed, [100]);
  assert.equal(s.r.target(11_000), 100);
});

test("retention: with both rules the history kept satisfies both", () => {
  const s = setup({ revisions: 500, ageMs: 2000 });
  s.step(1000, 1000);
  s.step(1000, 2000);
  s.step(1000, 3000);
  // By count: 3000 - 500 = 2500; by age (2 s): revision 1000. Keep both: compact to 1000.
  assert.equal(s.r.target(3000), 1000);
});
