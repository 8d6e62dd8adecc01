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
    const watcher = c.client([watched, followers[1], leader]);
    const watch = watcher.watch({ prefix: "w/" });
    const it = watch[Symbol.asyncIterator]();
    const got: string[] = [];
    const revisions: number[] = [];
    const reading = (async () => {
      for (;;) {
        const r: IteratorResult<WatchUpdate> = await it.next();
        if (r.done) return;
        for (const e of r.value.events) {
          got.push(`${fromUtf8(e.key)}=${fromUtf8(e.value)}`);
          revisions.push(e.modRevision);
        }
      }
    })();
    // Let the watch open before the first write it must see.
    for (let i = 0; i < 100 && watch.nextRevision === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const total = 60;
    for (let i = 0; i < total; i++) {
      if (i === 15) await c.stop(leader);
      if (i === 30) await c.start(leader);
      if (i === 40) await c.stop(watched);
      if (i === 50) await c.start(watched);
      await writer.put(`w/${i}`, `v${i}`);
    }
    for (let i = 0; i < 1000 && got.length < total; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const want = Array.from({ length: total }, (_, i) => `w/${i}=v${i}`);
    assert.deepEqual(got, want);
    assert.ok(revisions.every((r, i) => i === 0 || r > revisions[i - 1]), "revisions grow");
    watch.cancel();
    await reading;
  } finally {
    await c.close();
  }
});
