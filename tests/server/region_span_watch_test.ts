/**
 * Watches over several regions (src/server/node/span_watch.ts, docs/coordination.md "Watch",
 * "With regions"): a prefix watch opened while one region holds everything goes on across the
 * splits that spread its keys over three regions and more, every put and delete delivered once,
 * in revision order, while the writes go to every region; one created over the regions reads
 * their history (lineages included) from revision 1 through another node; one resumes from a
 * revision; a change in one region reaches the watch while the others are idle (their barriers
 * move their revisions); and three writers at once through every node are merged in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Watch } from "../../src/client/watch.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { key, noise, regionCounts, settle, SPLIT, until } from "./region_split_helpers.ts";

interface Seen {
  readonly changes: string[];
  readonly revisions: number[];
  error: () => unknown;
}

/** Reads `watch` in the background: each change as "put key=value" or "delete key". */
function collect(watch: Watch): Seen {
  const seen: Seen = { changes: [], revisions: [], error: () => failed };
  let failed: unknown;
  void (async () => {
    try {
      for await (const u of watch) {
        for (const e of u.events) {
          const k = fromUtf8(e.key);
          seen.changes.push(e.type === "put" ? `put ${k}=${fromUtf8(e.value)}` : `delete ${k}`);
          seen.revisions.push(e.modRevision);
        }
      }
    } catch (err) {
      failed = err;
    }
  })();
  return seen;
}

/**
 * Asserts `got` equals `want`; on a difference, says where: the lengths, the first index that
 * differs, and both sides around it with the revisions seen (deepEqual's dump of two 130-item
 * arrays is cut in CI logs before the difference).
 */
function sameChanges(seen: Seen, want: readonly string[], label: string, from = 0): void {
  const got = seen.changes.slice(from);
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  if (i === got.length && i === want.length) return;
  const around = (xs: readonly string[]) =>
    xs.slice(Math.max(0, i - 2), i + 3).map((x, j) => `${i - 2 + j}: ${x.slice(0, 40)}`);
  const revisions = seen.revisions.slice(from + Math.max(0, i - 2), from + i + 3);
  assert.fail(
    `${label}: ${got.length} changes seen, ${want.length} wanted; first difference at ${i}\n` +
      `seen: ${around(got).join(" | ")} (revisions ${revisions.join(", ")})\n` +
      `wanted: ${around(want).join(" | ")}`,
  );
}

function increasing(revisions: readonly number[]): boolean {
  return revisions.every((r, i) => i === 0 || r > revisions[i - 1]);
}

function ordered(revisions: readonly number[]): boolean {
  return revisions.every((r, i) => i === 0 || r >= revisions[i - 1]);
}

const PREFIX = { key: "k", rangeEnd: "l" };

test("span watch: a prefix watch across splits, from revision 1, resumed, idle regions", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    const watched = client.watch(PREFIX);
    const all = collect(watched);
    await until("the watch is created", () => watched.nextRevision > 0);
    // Puts over k0000..k0099 (so every region gets some) and a delete every fifth write, until
    // every node holds 3 regions: the splits land while the watch is open.
    const want: string[] = [];
    const live = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      if (i % 5 === 4 && live.size > 0) {
        const gone = [...live][i % live.size];
        await client.delete(gone);
        live.delete(gone);
        want.push(`delete ${gone}`);
        continue;
      }
      const v = `v${i}-${noise(120)}`;
      await client.put(k, v);
      live.add(k);
      want.push(`put ${k}=${v}`);
      if (i >= 100 && regionCounts(c).every((n) => n >= 3)) break;
    }
    await settle(c, 3);
    // Writes to every region after the splits.
    for (let i = 0; i < 30; i++) {
      const k = key((i * 41) % 100);
      await client.put(k, `after-${i}`);
      want.push(`put ${k}=after-${i}`);
    }
    await until("every change delivered", () => all.changes.length >= want.length, 30_000);
    sameChanges(all, want, "each change once, in order, across the splits");
    assert.ok(increasing(all.revisions), "revisions increase");
    assert.equal(all.error(), undefined);

    // Only the last region writes: the others are idle, and their barriers let the change go.
    await client.put(key(99), "only-here");
    want.push(`put ${key(99)}=only-here`);
    await until("a change of one region while the others idle", () => {
      return all.changes.length >= want.length;
    });
    sameChanges(all, want, "a change of one region while the others idle");

    // Three writers at once, through every node, over every region: each change once, revisions
    // in order (two regions' changes may share one only where a region took `last + 1`).
    const writers = [1, 2, 3].map((id) => c.client([id]));
    const together: string[] = [];
    await Promise.all(writers.map(async (w, n) => {
      for (let i = 0; i < 15; i++) {
        const k = key((i * 7 + n * 33) % 100);
        await w.put(k, `w${n}-${i}`);
        together.push(`put ${k}=w${n}-${i}`);
      }
    }));
    const before = want.length;
    await until("the writers' changes", () => all.changes.length >= before + together.length);
    const merged = all.changes.slice(before);
    assert.deepEqual([...merged].sort(), [...together].sort(), "each change once");
    for (let n = 0; n < 3; n++) {
      const mine = (x: string) => x.includes(`=w${n}-`);
      assert.deepEqual(merged.filter(mine), together.filter(mine), `writer ${n}'s order`);
    }
    assert.ok(ordered(all.revisions), "revisions in order");
    want.push(...merged);
    assert.equal(all.error(), undefined);
    watched.cancel();

    // Created over the regions, from revision 1, through another node: the regions' history.
    const fromStart = c.client([2]).watch(PREFIX, { fromRevision: 1 });
    const history = collect(fromStart);
    await until("history delivered", () => history.changes.length >= want.length, 30_000);
    sameChanges({ ...history, changes: history.changes.slice(0, want.length) }, want, "node 2");
    assert.deepEqual(history.revisions, all.revisions, "the same revisions on every node");
    fromStart.cancel();

    // Resumed from a revision in the middle: exactly the changes from there on.
    const mid = Math.floor(want.length / 2);
    const resumed = c.client([3]).watch(PREFIX, { fromRevision: all.revisions[mid] });
    const rest = collect(resumed);
    await until("the rest delivered", () => rest.changes.length >= want.length - mid, 30_000);
    sameChanges(rest, want.slice(mid), "node 3, from the middle");
    resumed.cancel();
  } finally {
    await c.close();
  }
});
