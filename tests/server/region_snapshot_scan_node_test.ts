/**
 * Current scans over several regions read one snapshot at one timestamp (docs/regions.md "Reads
 * over several regions"), on three in-process nodes that each hold every region: a writer puts
 * `a` then `b` (different regions) one after the other while scans through every node never see
 * b ahead of a, nor miss a write acknowledged before they began (region_snapshot_scan_helpers.ts);
 * transfers between accounts in different regions (`txn` across regions, from two nodes) never
 * change the sum a scan through any node reads; a page with an offset is the same snapshot's keys
 * after the offset; a scan within one region keeps its region's revision (no timestamp taken).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto } from "./region_split_helpers.ts";
import {
  orderedWrites,
  retryableScan,
  SCANS_ANSWERED_MIN,
} from "./region_snapshot_scan_helpers.ts";

const ACCOUNTS = [5, 21, 38, 52, 69, 83, 97].map(key);
const START = 100, TOTAL = START * ACCOUNTS.length;

function regionOf(c: TestCluster, k: string): number {
  return hostOf(c, 1).regionFor(utf8(k))?.id ?? 0;
}

/** The accounts' sum, read by one current scan (undefined: a retryable failure). */
async function sumOf(client: TinyKvClient): Promise<number | undefined> {
  try {
    const page = await client.scan({ start: ACCOUNTS[0], end: "k9999", limit: 200 });
    const mine = page.items.filter((i) => ACCOUNTS.includes(fromUtf8(i.key)));
    assert.equal(mine.length, ACCOUNTS.length, "every account is read");
    return mine.reduce((n, i) => n + Number(fromUtf8(i.value)), 0);
  } catch (err) {
    if (retryableScan(err)) return undefined;
    throw err;
  }
}

/** Moves 5 between two accounts in one `txn` (compare both, write both); retryable failures. */
async function transfers(client: TinyKvClient, seed: number, count: number): Promise<number> {
  let committed = 0;
  for (let n = 0; n < count; n++) {
    const from = ACCOUNTS[(seed * 7 + n * 3) % ACCOUNTS.length];
    const to = ACCOUNTS[(seed * 5 + n * 2 + 1) % ACCOUNTS.length];
    if (from === to) continue;
    try {
      const [a, b] = await Promise.all([client.getEntry(from), client.getEntry(to)]);
      if (a === undefined || b === undefined) throw new Error("an account is missing");
      const r = await client.txn({
        compare: [
          { key: from, target: "modRevision", result: "=", number: a.modRevision },
          { key: to, target: "modRevision", result: "=", number: b.modRevision },
        ],
        success: [
          { put: { key: from, value: String(Number(fromUtf8(a.value)) - 5) } },
          { put: { key: to, value: String(Number(fromUtf8(b.value)) + 5) } },
        ],
      });
      if (r.succeeded) committed++;
    } catch (err) {
      if (!retryableScan(err)) throw err;
    }
  }
  return committed;
}

test("snapshot scan: current scans across regions on three nodes are one snapshot", {
  timeout: 240_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    const [a, b] = [key(3), key(94)];
    assert.notEqual(regionOf(c, a), regionOf(c, b), "a and b lie in different regions");
    const scanners = [1, 2, 3].map((id) => c.client([id]));
    const ordered = { a, b, rounds: 120, start: key(0), end: "k9999" };
    const answered = await orderedWrites(client, scanners, ordered);
    assert.ok(answered >= SCANS_ANSWERED_MIN, `${answered} scans answered`);

    // Transfers from nodes 1 and 2 while every node scans the accounts.
    assert.ok(new Set(ACCOUNTS.map((k) => regionOf(c, k))).size >= 2, "accounts apart");
    await client.batch(ACCOUNTS.map((k) => ({ type: "put", key: k, value: String(START) })));
    let stop = false, sums = 0;
    const reader = async (scanner: TinyKvClient) => {
      for (let i = 0; i < 300 && !stop; i++) {
        const sum = await sumOf(scanner);
        if (sum === undefined) continue;
        assert.equal(sum, TOTAL, `scan ${i}`);
        sums++;
      }
    };
    const readers = Promise.all(scanners.map(reader));
    const moved = await Promise.all([
      transfers(c.client([1]), 1, 25),
      transfers(c.client([2]), 2, 25),
    ]);
    stop = true;
    await readers;
    assert.ok(moved[0] + moved[1] > 0, "some transfers committed");
    assert.ok(sums >= 10, `${sums} sums read`);

    // An offset over several regions: the same keys as the page without it, after the offset.
    const whole = await client.scan({ start: key(0), end: "k9999", limit: 60 });
    const offset = await client.scan({ start: key(0), end: "k9999", limit: 50, offset: 10 });
    assert.deepEqual(
      offset.items.map((e) => fromUtf8(e.key)),
      whole.items.slice(10).map((e) => fromUtf8(e.key)),
    );
    assert.ok(whole.revision > 0 && offset.revision > whole.revision, "each at a new timestamp");

    // Within one region: read as before, at the region's revision (no new timestamp each time).
    const node1 = c.client([1]);
    const [one, again] = [
      await node1.scan({ start: a, end: key(4) }),
      await node1.scan({ start: a, end: key(4) }),
    ];
    assert.equal(one.items.length, 1);
    assert.equal(again.revision, one.revision, "the region's revision, no write between");
  } finally {
    await c.close();
  }
});
