/**
 * examples/session.ts's building blocks on an in-process cluster: a prefix read over several
 * pages is one state at one revision; the states that follow it track puts and deletes; a
 * session's own key is created once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createOwnKey, hex, prefixStates, readPrefix, Session } from "../../examples/session.ts";
import { startCluster } from "../server/cluster_helpers.ts";

const KEYS = 2100; // more than two pages of readPrefix

test("session: a prefix read over pages is one state; the states after it follow changes", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(1);
  try {
    const kv = c.client();
    for (let i = 0; i < KEYS; i += 300) {
      const ops = Array.from({ length: Math.min(300, KEYS - i) }, (_, j) => ({
        type: "put" as const,
        key: `p/${String(i + j).padStart(5, "0")}`,
        value: "x",
      }));
      await kv.batch(ops);
    }
    const outside = await kv.put("q/other", "not under p/");
    const state = await readPrefix(kv, "p/");
    assert.equal(state.keys.size, KEYS);
    assert.equal(state.revision, outside);
    const stop = new AbortController();
    const seen: { revision: number; size: number; has: boolean }[] = [];
    const following = (async () => {
      for await (const s of prefixStates(kv, "p/", stop.signal)) {
        seen.push({ revision: s.revision, size: s.keys.size, has: s.keys.has(hex(enc("p/new"))) });
        if (seen.length === 3) stop.abort();
      }
    })();
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 10));
    const added = await kv.put("p/new", "y");
    await kv.put("q/ignored", "z");
    const removed = (await kv.txn({ success: [{ delete: { key: "p/00000" } }] })).revision;
    await following;
    assert.deepEqual(seen, [
      { revision: outside, size: KEYS, has: false },
      { revision: added, size: KEYS + 1, has: true },
      { revision: removed, size: KEYS, has: true },
    ]);
  } finally {
    await c.close();
  }
});

test("session: its own key is created once and keeps its place; close() deletes it", {
  timeout: 30_000,
}, async () => {
  const c = await startCluster(1);
  try {
    const kv = c.client();
    const session = await Session.open(kv, 5);
    const first = await createOwnKey(session, "n/me", "a");
    assert.equal(first.existing, undefined);
    const again = await createOwnKey(session, "n/me", "b");
    assert.equal(again.createRevision, first.createRevision);
    assert.equal(new TextDecoder().decode(again.existing?.value), "a");
    assert.equal((await kv.getEntry("n/me"))?.lease, session.leaseId);
    await session.close();
    assert.equal(await kv.getEntry("n/me"), undefined);
    assert.equal(await session.done, undefined);
  } finally {
    await c.close();
  }
});

const enc = (s: string) => new TextEncoder().encode(s);
