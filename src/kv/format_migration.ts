/**
 * Data format 2 (revisions) over a store written before it (format 1: a
 * current record was the Raft index of its write, then the value). Each key
 * becomes a key created and last written at that index, version 1, with that
 * change in its history; the store's revision and compacted revision become
 * the newest such index (no older history exists). The rewrite goes in
 * batches, each with a cursor, so a crash in the middle resumes where it was.
 */
import type { Db, WriteOp } from "../storage/db.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import { DATA_PREFIX, Namespace } from "./keyspace.ts";
import {
  ChangeType,
  decodeFormat1,
  encodeCurrent,
  encodeHistory,
  encodeIndexEntry,
} from "./key_record.ts";
import { historyKey, indexKey } from "./mvcc_keys.ts";
import type { KeyState } from "./key_state.ts";

const enc = new TextEncoder();
const metaKey = (name: string) => new Uint8Array([Namespace.Meta, ...enc.encode(name)]);

/** The data format of the store; absent in format-1 stores. */
export const FORMAT_KEY: Uint8Array = metaKey("format");
/** Migration progress: the last engine key rewritten, and the newest revision seen. */
const CURSOR_KEY: Uint8Array = metaKey("migrating");
export const CURRENT_FORMAT = 2;
const BATCH_KEYS = 10_000;

export interface Migrated {
  /** The newest revision among the rewritten keys (0 when none). */
  readonly revision: number;
}

/** Brings a store to the current format; returns what the rewrite found. */
export async function migrateFormat(db: Db, isEmpty: boolean): Promise<Migrated | undefined> {
  const format = db.get(FORMAT_KEY);
  if (format !== undefined) {
    const f = new ByteReader(format).varint();
    if (f !== CURRENT_FORMAT) throw new Error(`data format ${f} is not supported by this build`);
    return undefined;
  }
  const done: WriteOp = { type: "put", key: FORMAT_KEY, value: formatRecord() };
  if (isEmpty) {
    await db.write([done]);
    return undefined;
  }
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
      ops.push({ type: "put", key: historyKey(index, sub), value: history });
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
  await db.write([done, { type: "del", key: CURSOR_KEY }]);
  return { revision };
}

function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

function formatRecord(): Uint8Array {
  return new ByteWriter(4).varint(CURRENT_FORMAT).finish();
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
