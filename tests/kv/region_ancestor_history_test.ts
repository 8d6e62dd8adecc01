/**
 * A split child's image carries its keys' changes from its ancestors' feeds
 * (src/kv/region_ancestor_history.ts, docs/regions.md "History across splits"): installed on an
 * engine that never held the parent, the child answers reads at revisions below the split and a
 * watch resuming from revision 1 exactly as on the node it came from; the image carries none of
 * the parent's other keys' changes, and an image smuggling one is refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KeyRange, KvEvent } from "../../src/kv/key_state.ts";
import type { RegionKv } from "../../src/kv/region_apply.ts";
import { openRegions } from "../../src/kv/region_open.ts";
import { lineageKey, readLineage } from "../../src/kv/region_lineage.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { importRegionSnapshot } from "../../src/kv/region_snapshot_import.ts";
import { decodeHistory } from "../../src/kv/key_record.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db, type WriteOp } from "../../src/storage/db.ts";
import { exportSnapshot, SnapshotImporter } from "../../src/kv/kv_snapshot.ts";
import type { KvStateMachine } from "../../src/kv/state_machine.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { compareBytes, fromUtf8 } from "../../src/util/bytes.ts";
import { ByteWriter } from "../../src/util/coding.ts";
import { crc32cExtend, maskCrc } from "../../src/util/crc32c.ts";
import { FORMAT_KEY } from "../../src/kv/region_migration.ts";
import { b } from "./kv_helpers.ts";
import { imageOf, twoRegions } from "./region_import_helpers.ts";

const CHILD: KeyRange = { key: b("m"), rangeEnd: new Uint8Array([0]) };

async function emptyEngine(seed: number): Promise<Db> {
  const world = createSimWorld(seed);
  world.fs.mkdir("kv");
  return await Db.open(world.fs, "kv", { wal: false, seed: 1 });
}

/** The child's keys at every revision from 1, as text. */
async function everyRevision(kv: KvStateMachine): Promise<string[]> {
  const out: string[] = [];
  for (let rev = 1; rev <= kv.revision; rev++) {
    const page = await kv.rangeAt(CHILD, rev, 100);
    out.push(
      `${rev}: ` +
        page.states.map((s) => `${fromUtf8(s.key)}=${fromUtf8(s.value)}@${s.modRevision}`).join(),
    );
  }
  return out;
}

async function watchFrom1(kv: KvStateMachine): Promise<KvEvent[]> {
  const page = await kv.readHistory(1, CHILD, { maxEvents: 1000, prevKv: true });
  assert.ok(page.through >= kv.revision);
  return page.events;
}

/**
 * The image's records of region `d`'s feed at or below `below`, decoded to their keys, and
 * whether it holds any record of another region or a lineage record.
 */
async function imageRecords(db: Db, d: RegionKv["descriptor"], below: number) {
  const keys: string[] = [];
  let foreign = 0, lineage = 0;
  const feed = regionKeys(d.id);
  const sink = {
    write(ops: readonly WriteOp[]) {
      for (const op of ops) {
        const k = op.key as Uint8Array;
        if (op.type !== "put" || k[0] !== 0x10) continue;
        if (compareBytes(k.subarray(0, 9), feed.prefix) !== 0) foreign++;
        else if (compareBytes(k, lineageKey(d.id)) === 0) lineage++;
        else if (k[9] === 0x03 && feed.parseHistory(k).revision <= below) {
          const change = decodeHistory(feed.parseHistory(k).revision, op.value as Uint8Array);
          keys.push(fromUtf8(change.state.key));
        }
      }
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
  };
  const importer = new SnapshotImporter(sink, "image");
  const scope = { region: regionKeys(d.id), span: { start: d.start, end: d.end } };
  for await (const piece of exportSnapshot(db, 64, scope)) await importer.push(piece);
  await importer.finish();
  return { keys, foreign, lineage };
}

test("region ancestor history: a child installed on an empty engine reads below the split", async () => {
  const source = await twoRegions(3, true);
  const d2 = source.r2.descriptor;
  const [parent] = readLineage(source.db, d2.id);
  assert.equal(parent?.regionId, 1);
  const carried = await imageRecords(source.db, d2, parent.splitRevision);
  assert.ok(carried.keys.length > 0, "the image carries the child's changes from region 1");
  assert.ok(carried.keys.every((k) => k >= "m"), `only the child's keys: ${carried.keys}`);
  assert.deepEqual([carried.foreign, carried.lineage], [0, 0], "own records only, no lineage");
  const target = await emptyEngine(4);
  // A node's engine holds its data format from its first open (the image's is not written).
  await target.write([{ type: "put", key: FORMAT_KEY, value: source.db.get(FORMAT_KEY) ?? b("") }]);
  await importRegionSnapshot(target, imageOf(source.db, d2, source.r2.kv.appliedIndex));
  const opened = await openRegions(target, [1]);
  for (const r of opened) r.kv.garbage.stop();
  assert.deepEqual(opened.map((r) => r.descriptor.id), [2], "no other region appears");
  const child = opened[0];
  assert.deepEqual(readLineage(target, 2), []);
  assert.equal(child.kv.revision, source.r2.kv.revision);
  const want = await everyRevision(source.r2.kv);
  assert.ok(want.some((l) => /n=1@/.test(l)), "the source reads n's value from before the split");
  assert.deepEqual(await everyRevision(child.kv), want);
  assert.deepEqual(await watchFrom1(child.kv), await watchFrom1(source.r2.kv));
});

test("region ancestor history: an image with another key's change in a foreign feed is refused", async () => {
  const source = await twoRegions(5, true);
  const d2 = source.r2.descriptor;
  // Region 1's record of "a" (its own key, not the child's) slipped into region 2's image.
  const forged = regionKeys(1).history(2, 0);
  const record = source.db.get(forged);
  assert.ok(record !== undefined);
  assert.equal(new TextDecoder().decode(decodeHistory(2, record).state.key), "a");
  const entries: [Uint8Array, Uint8Array][] = [];
  const importer = new SnapshotImporter({
    write: (ops) => {
      for (const op of ops) if (op.type === "put") entries.push([op.key, op.value] as never);
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
  }, "copy");
  const scope = { region: regionKeys(d2.id), span: { start: d2.start, end: d2.end } };
  for await (const p of exportSnapshot(source.db, 1 << 20, scope)) await importer.push(p);
  await importer.finish();
  entries.push([forged, record]);
  entries.sort((x, y) => compareBytes(x[0], y[0]));
  const stream = encodeImage(entries);
  const image = {
    descriptor: d2,
    index: source.r2.kv.appliedIndex,
    stream: async function* () {
      yield stream;
    },
  };
  const target = await emptyEngine(6);
  await assert.rejects(importRegionSnapshot(target, image), CorruptionError);
  assert.equal([...target.scanSync()].length, 0, "nothing written");
});

/** A snapshot stream of `entries` (docs/formats.md#kv-snapshot-stream). */
function encodeImage(entries: readonly [Uint8Array, Uint8Array][]): Uint8Array {
  const out = new ByteWriter(1024);
  out.bytes(new TextEncoder().encode("TKVSNAP1"));
  for (const [k, v] of entries) out.u8(0x01).lengthPrefixed(k).lengthPrefixed(v);
  out.u8(0x02).fixed64(entries.length);
  const body = out.finish();
  const crc = new ByteWriter(4).fixed32(maskCrc(crc32cExtend(0, body))).finish();
  const all = new Uint8Array(body.length + 4);
  all.set(body);
  all.set(crc, body.length);
  return all;
}
