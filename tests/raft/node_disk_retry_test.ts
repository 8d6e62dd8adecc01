/**
 * The driver's retry of a Ready whose save failed for lack of space: backoff
 * from DISK_RETRY_MS_MIN doubling to DISK_RETRY_MS_MAX, nothing lost, and a
 * clean resume once space returns.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../../src/limits.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { createPrng } from "../../src/util/prng.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

test("node: a save refused for space is retried with doubling backoff, then succeeds", async () => {
  const clock = new SimClock();
  const fs = new SimFileSystem(createPrng(3), clock);
  // No zeros ahead of the records: the proposal below must need new space.
  const store = await LogStore.open(fs, "raft", { preallocateBytes: 0 });
  const cs = { voters: [1], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  await store.save({
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
    mustSync: true,
  });
  const applied: string[] = [];
  const node = new RaftNode({
    raft: { id: 1, electionTicks: 10, heartbeatTicks: 1, prng: createPrng(5) },
    logStore: store,
    transport: { send: () => {} },
    stateMachine: {
      apply: (ents) => {
        for (const e of ents) if (e.data.length > 0) applied.push(new TextDecoder().decode(e.data));
      },
      restore: () => {},
    },
    clock,
    tickMs: 10,
  });
  node.rawNode.campaign();
  await node.runOnce();
  assert.ok(node.rawNode.isLeader);
  const saves: number[] = [];
  const save = store.save.bind(store);
  store.save = (rd) => {
    saves.push(clock.nowMs());
    return save(rd);
  };
  fs.setCapacity(fs.usedBytes());
  node.start();
  assert.ok(node.propose(utf8("kept")).ok);
  node.kick();
  for (let t = 0; t < 8000; t += 10) {
    clock.advance(10);
    await settle();
  }
  assert.ok(node.diskFull instanceof NoSpaceError, "the node reports the full disk");
  assert.equal(node.failure, undefined, "and keeps running");
  const gaps = saves.slice(1).map((at, i) => at - saves[i]);
  assert.ok(gaps.length >= 6, `retries seen: ${gaps.join(", ")}`);
  const expected: number[] = [];
  for (
    let d = DISK_RETRY_MS_MIN;
    expected.length < gaps.length;
    d = Math.min(DISK_RETRY_MS_MAX, d * 2)
  ) {
    expected.push(d);
  }
  // Ticks land on 10 ms steps: each retry comes within one step of its due time.
  for (let i = 0; i < gaps.length; i++) {
    assert.ok(
      Math.abs(gaps[i] - expected[i]) <= 10,
      `retry ${i + 1}: ${gaps[i]} ms, want ${expected[i]}`,
    );
  }
  assert.ok(gaps.filter((g) => Math.abs(g - DISK_RETRY_MS_MAX) <= 10).length >= 2, "capped");
  assert.deepEqual(applied, []);
  fs.setCapacity(undefined);
  for (let t = 0; t < DISK_RETRY_MS_MAX + 100; t += 10) {
    clock.advance(10);
    await settle();
  }
  assert.equal(node.diskFull, undefined, "recovered");
  assert.deepEqual(applied, ["kept"], "the proposal made during the full disk commits");
  node.stop();
});
