/**
 * A watch on a 3-node cluster in one process: a watcher on a follower receives
 * every write, in order and exactly once, while the leader is stopped and restarted
 * and writes continue, and then while its own node is stopped (it moves on).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { WatchUpdate } from "../../../src/client/watch_wire.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { startCluster } from "../cluster_helpers.ts";
import type { Watch } from "../../../src/client/watch.ts";

async function collect(
  it: AsyncIterator<WatchUpdate>,
  into: string[],
  revisions: number[],
): Promise<void> {
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    for (const e of r.value.events) {
      into.push(`${fromUtf8(e.key)}=${fromUtf8(e.value)}`);
      revisions.push(e.modRevision);
    }
  }
}

test("watch on a cluster: every event once, in order, across leader and node restarts", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const leader = await c.leader();
    const followers = [...c.peers.keys()].filter((id) => id !== leader);
    const watched = followers[0];
    const writer = c.client();
    await writer.put("w/init", "x");
    // A follower learns a commit a little after the leader answered (Raft promises no more), and
    // a watch starts at its node's revision: wait until the watched node has applied w/init.
    const onWatched = c.client([watched]);
    for (let i = 0; i < 100; i++) {
      if (await onWatched.get("w/init", { consistency: "serializable" }) !== undefined) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const watcher = c.client([watched, followers[1], leader]);
    const watch = watcher.watch({ prefix: "w/" });
    const lateWatches: Watch[] = [];
    const it = watch[Symbol.asyncIterator]();
    const got: string[] = [];
    const revisions: number[] = [];
    const reading = collect(it, got, revisions);
    // Let the watch open before the first write it must see.
    for (let i = 0; i < 100 && watch.nextRevision === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const total = 60;
    // A second watch starts from the first write's revision when 20 writes are done:
    // it catches up from the history while writes continue, then follows them.
    const late: string[] = [];
    let lateReading: Promise<void> | undefined;
    let firstRevision = 0;
    for (let i = 0; i < total; i++) {
      if (i === 20) {
        const lateWatch = watcher.watch({ prefix: "w/" }, { fromRevision: firstRevision });
        lateReading = collect(lateWatch[Symbol.asyncIterator](), late, []);
        lateWatches.push(lateWatch);
      }
      if (i === 15) await c.stop(leader);
      if (i === 30) await c.start(leader);
      if (i === 40) await c.stop(watched);
      if (i === 50) await c.start(watched);
      const revision = await writer.put(`w/${i}`, `v${i}`);
      if (i === 0) firstRevision = revision;
    }
    for (let i = 0; i < 1000 && (got.length < total || late.length < total); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const want = Array.from({ length: total }, (_, i) => `w/${i}=v${i}`);
    assert.deepEqual(got, want);
    assert.deepEqual(late, want, "the watch from a past revision");
    assert.ok(revisions.every((r, i) => i === 0 || r > revisions[i - 1]), "revisions grow");
    watch.cancel();
    lateWatches.forEach((w) => w.cancel());
    await reading;
    await lateReading;
  } finally {
    await c.close();
  }
});

test("watch on a cluster: a watch on a node that installs a snapshot misses nothing", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, 20);
  try {
    const leader = await c.leader();
    const lagging = [...c.peers.keys()].find((id) => id !== leader) ?? 0;
    const writer = c.client();
    const first = await writer.put("s/0", "v0");
    await c.stop(lagging);
    const total = 150;
    for (let i = 1; i < total; i++) await writer.put(`s/${i}`, `v${i}`);
    await c.start(lagging);
    // On the restarted node only: it is behind, and the leader's log was compacted past it.
    const watch = c.client([lagging]).watch({ prefix: "s/" }, { fromRevision: first });
    const got: string[] = [];
    const reading = collect(watch[Symbol.asyncIterator](), got, []);
    await writer.put(`s/${total}`, `v${total}`);
    for (let i = 0; i < 1000 && got.length < total + 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const want = Array.from({ length: total + 1 }, (_, i) => `s/${i}=v${i}`);
    assert.deepEqual(got, want);
    assert.ok(
      (c.servers.get(lagging)?.node.engine.installed ?? 0) >= 1,
      "a snapshot was installed",
    );
    watch.cancel();
    await reading;
  } finally {
    await c.close();
  }
});
