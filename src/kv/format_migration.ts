/**
 * Brings a store to the current data format at open:
 *
 * - Format 1 (before revisions: a current record was the Raft index of its write, then the
 *   value) → 2: each key becomes a key created and last written at that index, version 1, with
 *   that change in its history; the store's revision and compacted revision become the newest
 *   such index (no older history exists). The rewrite goes in batches, each with a cursor, so a
 *   crash in the middle resumes where it was.
 * - Format 2 → 3 (regions): the store becomes region 1 (region_migration.ts).
 */
import { ByteReader, ByteWriter, writeU32BE, writeU64BE } from "../util/coding.ts";
import { DATA_PREFIX, encodeApplied, Namespace } from "./keyspace.ts";
import {
  ChangeType,
  decodeFormat1,
  encodeCurrent,
  encodeHistory,
  encodeIndexEntry,
} from "./key_record.ts";
import { indexKey, MvccNamespace } from "./mvcc_keys.ts";
import type { KeyState } from "./key_state.ts";
import {
  FORMAT_KEY,
  formatRecord,
  legacyMetaKey,
  type MigrationDb,
  REGIONS_FORMAT,
  removeLegacyRecords,
  toRegionFormat,
} from "./region_migration.ts";
import type { WriteOp } from "../storage/db.ts";

/** Migration progress: the last engine key rewritten, and the newest revision seen. */
const CURSOR_KEY: Uint8Array = legacyMetaKey("migrating");
const CURRENT_FORMAT = REGIONS_FORMAT;
const BATCH_KEYS = 10_000;

/** Brings a store to the current format (`batch`: records per batch of the region step). */
export async function migrateFormat(
  db: MigrationDb,
  isEmpty: boolean,
  batch?: number,
): Promise<void> {
  const format = db.get(FORMAT_KEY);
  const f = format === undefined ? 1 : new ByteReader(format).varint();
  if (f === CURRENT_FORMAT) return await removeLegacyRecords(db, batch);
  if (f !== 1 && f !== 2) throw new Error(`data format ${f} is not supported by this build`);
  if (f === 1) await toRevisionFormat(db, isEmpty);
  await toRegionFormat(db, batch);
}

/** Format 1 → 2, in the pre-region layout (history under 0x03, meta records under 0x00). */
async function toRevisionFormat(db: MigrationDb, isEmpty: boolean): Promise<void> {
  const done: WriteOp = { type: "put", key: FORMAT_KEY, value: formatRecord(2) };
  if (isEmpty) return await db.write([done]);
  // Changes of one old batch share an index: a running counter keeps their history keys apart.
  let { after, revision, sub } = readCursor(db.get(CURSOR_KEY));
  for (;;) {
    const ops: WriteOp[] = [];
    let last: Uint8Array | undefined;
    const start = after === undefined ? DATA_PREFIX : successor(after);
    for await (const [k, v] of db.scan({ start, end: new Uint8Array([Namespace.Data + 1]) })) {
      if (ops.length >= BATCH_KEYS * 3) break;
      const { index, value } = decodeFormat1(v);
      const state: KeyState = {
        key: k.subarray(1),
        value,
        createRevision: index,
        modRevision: index,
        version: 1,
        lease: 0,
        expireAtMs: 0,
      };
      ops.push({ type: "put", key: k, value: encodeCurrent(state) });
      const history = encodeHistory(ChangeType.Put, state);
      ops.push({ type: "put", key: legacyHistoryKey(index, sub), value: history });
      const entry = encodeIndexEntry(ChangeType.Put, sub++);
      ops.push({ type: "put", key: indexKey(state.key, index), value: entry });
      revision = Math.max(revision, index);
      last = k.slice();
    }
    if (last === undefined) break;
    after = last;
    ops.push({ type: "put", key: CURSOR_KEY, value: cursorRecord(last, revision, sub) });
    await db.write(ops);
  }
  const revisions: WriteOp[] = revision === 0 ? [] : [
    { type: "put", key: legacyMetaKey("revision"), value: encodeApplied(revision) },
    { type: "put", key: legacyMetaKey("compacted"), value: encodeApplied(revision) },
  ];
  await db.write([...revisions, done, { type: "del", key: CURSOR_KEY }]);
}

/** A history key of format 2: `0x03 revision:u64be sub:u32be`. */
function legacyHistoryKey(revision: number, sub: number): Uint8Array {
  const k = new Uint8Array(13);
  k[0] = MvccNamespace.History;
  writeU64BE(k, 1, revision);
  writeU32BE(k, 9, sub);
  return k;
}

function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

function cursorRecord(after: Uint8Array, revision: number, sub: number): Uint8Array {
  const w = new ByteWriter(after.length + 30);
  return w.varint(revision).varint(sub).lengthPrefixed(after).finish();
}

interface Cursor {
  readonly after?: Uint8Array;
  readonly revision: number;
  readonly sub: number;
}

function readCursor(raw: Uint8Array | undefined): Cursor {
  if (raw === undefined) return { revision: 0, sub: 0 };
  const r = new ByteReader(raw);
  const revision = r.varint(), sub = r.varint();
  return { revision, sub, after: r.lengthPrefixed(raw.length).slice() };
}
