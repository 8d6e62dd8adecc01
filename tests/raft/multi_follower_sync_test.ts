/**
 * Where a save's fsync runs (src/raft/multi/round_state.ts `blocking`): a round in which no leader
 * sent anything first (followers' work, a leader without other voters) fsyncs on the node's own
 * thread (File.syncNow) where the file system can, since what waits on it waits for that fsync
 * anyway; a leader that sent appends saves asynchronously, because its followers'
 * acknowledgements commit mid-save (apply_ahead.ts). Either way what was acknowledged or
 * committed survives a power loss.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { File, FileSystem } from "../../src/platform/types.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";
import { fileWithSync, syncHookFs } from "../helpers/sync_hook_fs.ts";

/** Counts a node's fsyncs by kind; its files offer `syncNow`, as the runtimes' files do. */
class SyncCounts {
  background = 0;
  now = 0;
  /** Called as each fsync on the thread returns. */
  onNow: () => void = () => {};

  wrap(inner: FileSystem): FileSystem {
    const files = syncHookFs(inner, (sync) => sync());
    return {
      ...files,
      open: (path, options): File => {
        const f = inner.open(path, options);
        const counted = fileWithSync(f, () => {
          this.background++;
          return f.sync();
        });
        // The simulated file makes its writes durable as `sync` is called (sim_file_system.ts
        // syncFile); the promise only models the device's latency.
        counted.syncNow = () => {
          this.now++;
          void f.sync();
          this.onNow();
        };
        return counted;
      },
    };
  }
}

test("a follower's save fsyncs on its thread, a leader's in the background", async () => {
  const counts = [new SyncCounts(), new SyncCounts(), new SyncCounts()];
  let counting = true; // the restarted node gets the plain simulated disk
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 71,
    loss: 0,
    quiesce: false,
    wrapFs: (n, fs) => counting ? counts[n - 1].wrap(fs) : fs,
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  for (const k of counts) k.background = k.now = 0;
  const written: string[] = [];
  for (let i = 0; i < 20; i++) {
    written.push(`v${i}`);
    assert.ok(c.driver(1).propose(1, utf8(`v${i}`))?.ok);
    await c.run(3);
  }
  await c.until(
    () => [1, 2, 3].every((n) => (c.sm(n, 1)?.applied.length ?? 0) === 20),
    100,
    "applied everywhere",
  );
  assert.ok(counts[0].background >= 10, `leader: ${counts[0].background} background fsyncs`);
  assert.equal(counts[0].now, 0, "the leader never blocks on its fsync");
  for (const n of [2, 3]) {
    const k = counts[n - 1];
    assert.ok(k.now >= 10, `n${n}: ${k.now} fsyncs on its thread`);
    assert.equal(k.background, 0, `n${n}: no background fsync`);
  }
  // What follower 2 acknowledged is on its disk: a power loss keeps every entry.
  const last = c.logs[1].group(1).lastIndex();
  c.kill(2);
  c.worlds[1].fs.crash("lose");
  counting = false;
  await c.restart(2, false);
  assert.equal(c.logs[1].group(1).lastIndex(), last, "n2's log after the power loss");
  assert.deepEqual(c.sm(1, 1)?.applied, written);
});

test("a leader without other voters fsyncs on its thread, and commits only what is durable", async () => {
  const counts = new SyncCounts();
  let counting = true;
  const c = await MultiCluster.start({
    nodes: 1,
    regions: 1,
    seed: 73,
    loss: 0,
    quiesce: false,
    wrapFs: (_n, fs) => counting ? counts.wrap(fs) : fs,
  });
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  counts.background = counts.now = 0;
  for (let i = 0; i < 10; i++) {
    assert.ok(c.driver(1).propose(1, utf8(`v${i}`))?.ok);
    await c.run(2);
  }
  await c.until(() => c.sm(1, 1)?.applied.length === 10, 100, "applied");
  assert.ok(counts.now >= 10, `${counts.now} fsyncs on its thread`);
  assert.equal(counts.background, 0, "no background fsync");
  const commit = c.driver(1).region(1)?.rawNode.commitIndex ?? 0;
  c.kill(1);
  c.worlds[0].fs.crash("lose");
  counting = false;
  await c.restart(1, false);
  assert.ok(c.logs[0].group(1).lastIndex() >= commit, "every committed entry survives");
});

test("a follower's acknowledgement leaves before the applies its round queued", async () => {
  // Queued ahead of the save, the previous round's applies ran between the fsync's return and
  // the acknowledgement (round_state.ts `postponed`): a follower's every ack waited for them.
  const counts = new SyncCounts();
  const events: string[] = [];
  counts.onNow = () => events.push("fsync");
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 79,
    loss: 0,
    quiesce: false,
    wrapFs: (n, fs) => n === 2 ? counts.wrap(fs) : fs,
    sent: (b) => b.from === 2 && events.push("send"),
    applyPass: (n) => ({ begin: () => n === 2 && events.push("apply"), end: () => {} }),
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  events.length = 0;
  for (let i = 0; i < 20; i++) {
    assert.ok(c.driver(1).propose(1, utf8(`v${i}`))?.ok);
    await c.run(3);
  }
  await c.until(() => c.sm(2, 1)?.applied.length === 20, 100, "applied on n2");
  const fsyncs = events.flatMap((e, i) => e === "fsync" ? [i] : []);
  assert.ok(fsyncs.length >= 10, `${fsyncs.length} fsyncs on n2`);
  assert.ok(events.includes("apply"), "n2 applied");
  for (const i of fsyncs) assert.equal(events[i + 1], "send", `after fsync ${i}: ${events}`);
});
