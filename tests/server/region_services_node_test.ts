/**
 * The node's background services on every region (region_services.ts, docs/regions.md "The node
 * holding many regions"): once regions split, each region's leader deletes its expired keys (not
 * only hides them) and compacts its history by the retention rule, as region 1's always did.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvError } from "../../src/client/errors.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, SPLIT, splitInto, until } from "./region_split_helpers.ts";

test("region services: expiry sweeps and history compaction run in every region", {
  timeout: 60_000,
}, async () => {
  const autoCompact = { revisions: 20, checkMs: 30 };
  const c = await startCluster(3, 20, undefined, { ...SPLIT, autoCompact });
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    const regions = hostOf(c, 1).all().map((r) => r.kv.descriptor);
    const last = regions[regions.length - 1];
    assert.notEqual(last.id, 1);
    const inLast = `${fromUtf8(last.start)}~expiring`;
    const kept = `${fromUtf8(last.start)}~kept`;
    const regionOn = (id: number) => hostOf(c, id).region(last.id);
    const countsBefore = [1, 2, 3].map((id) => regionOn(id)?.kv.kv.keyCount ?? 0);

    // A key of the last region expires: its region's leader deletes it on every replica.
    await client.put(inLast, "soon gone", { ttlMs: 150 });
    await client.put(kept, "stays");
    await until(
      "the expired key deleted on every node",
      () => [1, 2, 3].every((id, i) => regionOn(id)?.kv.kv.keyCount === countsBefore[i] + 1),
    );
    assert.equal(await client.get(inLast), undefined);
    assert.equal(fromUtf8(await client.get(kept) ?? new Uint8Array()), "stays");
    const sweeps = [1, 2, 3].map((id) => c.servers.get(id)?.node.local.services.sweepsProposed);
    assert.ok(sweeps.some((n) => (n ?? 0) > 0), `sweeps proposed: ${sweeps}`);

    // Many revisions of the last region's key: its leader compacts its history (20 kept). The
    // count rule reads its samples (one per check, 30 ms): 40 puts quicker than one check leave
    // no sample among them, and the history is kept whole until more writes come. So the writes
    // go on, paced, until every node compacted (up to 30 s: a whole-tree Bun run under load is
    // slow); the message says where each node's compaction stood.
    const first = await client.put(kept, "v0");
    const compacted = () => [1, 2, 3].map((id) => regionOn(id)?.kv.kv.compactedRevision ?? 0);
    let written = 0;
    const deadline = Date.now() + 30_000;
    while (written < 40 || !compacted().every((at) => at > first)) {
      if (Date.now() > deadline) {
        const proposed = [1, 2, 3].map((id) =>
          c.servers.get(id)?.node.local.services.compactionsProposed ?? 0
        );
        throw new Error(
          `the region compacted on every node: not within 30000 ms after ${written} puts:` +
            ` compacted to ${compacted()} (above ${first} wanted), compactions proposed ${proposed}`,
        );
      }
      await client.put(kept, `v${++written}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await assert.rejects(
      client.get(kept, { revision: first }),
      (err: unknown) => err instanceof TinyKvError && err.code === "COMPACTED",
    );
    assert.equal(fromUtf8(await client.get(kept) ?? new Uint8Array()), `v${written}`);
    const compactions = [1, 2, 3].map((id) =>
      c.servers.get(id)?.node.local.services.compactionsProposed ?? 0
    );
    assert.ok(compactions.some((n) => n > 0), `compactions proposed: ${compactions}`);
    // Region 1 is not compacted to another region's revisions: its point is its own.
    const one = hostOf(c, 1).region(1);
    assert.ok((one?.kv.kv.compactedRevision ?? 0) <= (one?.kv.kv.revision ?? 0));
  } finally {
    await c.close();
  }
});
