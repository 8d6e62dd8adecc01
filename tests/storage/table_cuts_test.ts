/**
 * Compaction outputs cut at each region's change feed (src/storage/compaction/table_cuts.ts):
 * a table never holds one region's feed records with anything else, so a feed's new tables
 * overlap nothing below and move down without a rewrite.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { OutputSet } from "../../src/storage/compaction/output_set.ts";
import { TablePart } from "../../src/storage/compaction/table_cuts.ts";
import { userKeyOf, ValueKind } from "../../src/storage/internal_key.ts";
import { Db } from "../../src/storage/db.ts";
import { concatBytes, toHex, utf8 } from "../../src/util/bytes.ts";

/** `0x10 region:u64be kind rest` (docs/formats.md, region-local keyspace). */
function local(region: number, kind: number, rest: Uint8Array): Uint8Array {
  const head = new Uint8Array(10);
  head[0] = 0x10;
  new DataView(head.buffer).setBigUint64(1, BigInt(region));
  head[9] = kind;
  return concatBytes([head, rest]);
}

function feed(region: number, revision: number): Uint8Array {
  const rest = new Uint8Array(12);
  new DataView(rest.buffer).setBigUint64(0, BigInt(revision));
  return local(region, 0x03, rest);
}

const current = (key: string) => concatBytes([new Uint8Array([0x02]), utf8(key)]);

test("table part: a region's feed is a part of its own; everything else is one part", () => {
  const p = new TablePart();
  p.enter(current("a"));
  assert.equal(p.crosses(current("b")), false);
  assert.equal(p.crosses(local(1, 0x00, utf8("keys"))), false, "a region's other records");
  assert.equal(p.crosses(feed(1, 5)), true);
  p.enter(feed(1, 5));
  assert.equal(p.crosses(feed(1, 6)), false);
  assert.equal(p.crosses(feed(2, 1)), true, "another region's feed");
  assert.equal(p.crosses(local(1, 0x0a, utf8("g"))), true);
});

test("tableCuts: anything but none or kv is refused at open, no store made", async () => {
  const w = createSimWorld(4, { trace: false });
  await assert.rejects(
    Db.open(w.fs, "db", { tableCuts: "feeds" as "kv" }),
    /tableCuts must be none or kv, got feeds/,
  );
  assert.equal(w.fs.stat("db/CURRENT"), undefined, "no store made");
});

test("output set: tables end where the part changes, and at their size within a part", async () => {
  const w = createSimWorld(3, { trace: false });
  w.fs.mkdir("t");
  let next = 1;
  const host = {
    fs: w.fs,
    dir: "t",
    compression: "none" as const,
    newTableNumber: () => next++,
    releaseTableNumber: () => {},
  };
  const keys = [
    current("a"),
    current("b"),
    local(1, 0x00, utf8("keys")),
    ...Array.from({ length: 40 }, (_, i) => feed(1, 100 + i)),
    local(1, 0x0a, utf8("g")),
    local(2, 0x00, utf8("keys")),
    feed(2, 7),
    feed(2, 8),
  ];
  const out = new OutputSet(host, 1024, "kv");
  for (const k of keys) await out.add(k, 1, ValueKind.Put, new Uint8Array(50), true);
  const tables = (await out.finish()).map((f) =>
    `${toHex(userKeyOf(f.smallest).subarray(0, 10))}..${
      toHex(userKeyOf(f.largest).subarray(0, 10))
    }`
  );
  const r1 = "100000000000000001", r2 = "100000000000000002";
  assert.deepEqual(tables, [
    `0261..${r1}00`, // current records and region 1's counter
    `${r1}03..${r1}03`, // region 1's feed: 40 × ~80 B, cut at 1 KiB within the part
    `${r1}03..${r1}03`,
    `${r1}03..${r1}03`,
    `${r1}0a..${r2}00`, // the records between the feeds
    `${r2}03..${r2}03`,
  ]);
  const cut = new OutputSet(host, 1 << 20, "kv");
  await cut.add(current("a"), 1, ValueKind.Put, new Uint8Array(1), true);
  const k = feed(1, 1), v = new Uint8Array(1);
  assert.equal(
    cut.tryAddFrom(k, 0, k.length, 1, ValueKind.Put, v, 0, 1, true),
    false,
    "a new key of a set with cuts takes the path that looks at its part",
  );
  await cut.finish();
  const plain = new OutputSet(host, 1 << 20);
  for (const k of keys) await plain.add(k, 1, ValueKind.Put, new Uint8Array(50), true);
  assert.equal((await plain.finish()).length, 1, "a flush (no cuts) writes one table");
});

/**
 * Rounds of random current records and each region's feed records in revision order, as a node
 * applies SETs; the same writes with and without cuts.
 */
async function fill(cuts: "none" | "kv") {
  const w = createSimWorld(9, { trace: false });
  const db = await Db.open(w.fs, "db", {
    memtableBytes: 64 * 1024,
    tableFileBytes: 16 * 1024,
    level1Bytes: 16 * 1024,
    tableCuts: cuts,
    compression: "none", // sizes as written: the comparison is of bytes rewritten
  });
  let rev = 1, seed = 7;
  const value = new Uint8Array(200).fill(0x61);
  for (let round = 0; round < 800; round++) {
    const ops = [];
    for (let i = 0; i < 10; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const key = current(`k${seed % 100_000}`);
      ops.push({ type: "put" as const, key, value });
      ops.push({ type: "put" as const, key: feed(1 + (seed % 3), rev++), value });
    }
    await db.write(ops);
  }
  await db.flush();
  // Compactions run in background steps: wait (bounded) until no level needs one.
  for (let i = 0; i < 100 && db.stats().levels.some((l) => l.score >= 1); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  let feeds = 0;
  for (const [k] of db.scanSync({ start: local(1, 0x03, new Uint8Array(0)) })) {
    if (k[0] === 0x10 && k[9] === 0x03) feeds++;
  }
  const stats = db.stats();
  await db.close();
  return { stats, feeds };
}

test("engine: with kv cuts a feed's tables move down unrewritten; every record is kept", async () => {
  const cut = await fill("kv");
  const plain = await fill("none");
  assert.equal(cut.feeds, 8000);
  assert.equal(plain.feeds, 8000);
  assert.ok(
    cut.stats.trivialMoves > plain.stats.trivialMoves,
    `trivial moves ${cut.stats.trivialMoves} against ${plain.stats.trivialMoves}`,
  );
  // Half the bytes are feed records. Measured with LevelDB's fixed level sizes (and smaller
  // memtables): 2.07 MB against 3.57 MB rewritten. Level-0 compactions now leave out the level-1
  // tables they have no key within, and a level gives first the tables overlapping nothing below
  // (level_zero_overlap.ts, picker.ts), which spares much of a mixed feed too: 7.8 against 8.5 MB.
  assert.ok(
    cut.stats.compactionBytesWritten < plain.stats.compactionBytesWritten,
    `compactions wrote ${cut.stats.compactionBytesWritten} against ` +
      `${plain.stats.compactionBytesWritten}`,
  );
});
