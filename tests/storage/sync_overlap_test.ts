/**
 * Under sync `always` a batch is inserted into the memtable while its fdatasync runs
 * (src/storage/commit.ts): it must stay invisible to gets, snapshots and scans until the
 * sync is done, and become visible together once it is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { File, FileStat, FileSystem, OpenOptions } from "../../src/platform/types.ts";
import { Db } from "../../src/storage/db.ts";
import { collect, DIR, str, world } from "./helpers.ts";
import { fileWithSync } from "../helpers/sync_hook_fs.ts";

/** Holds WAL fdatasyncs while `held` is set, until `release()`; all else passes through. */
class GatedFs implements FileSystem {
  held = false;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly inner: FileSystem) {}

  open(path: string, options?: OpenOptions): File {
    const f = this.inner.open(path, options);
    if (!path.endsWith(".log")) return f;
    const sync = async () => {
      if (this.held) await new Promise<void>((r) => this.#waiting.push(r));
      return f.sync();
    };
    return fileWithSync(f, sync);
  }
  readFile(p: string): Uint8Array {
    return this.inner.readFile(p);
  }
  rename(a: string, b: string): void {
    this.inner.rename(a, b);
  }
  remove(p: string): void {
    this.inner.remove(p);
  }
  list(d: string): string[] {
    return this.inner.list(d);
  }
  mkdir(p: string): void {
    this.inner.mkdir(p);
  }
  syncDir(p: string): Promise<void> {
    return this.inner.syncDir(p);
  }
  stat(p: string): FileStat | undefined {
    return this.inner.stat(p);
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  release(): void {
    for (const r of this.#waiting.splice(0)) r();
  }
}

test("a batch inserted while its fdatasync runs stays invisible until the sync is done", async () => {
  const w = world(41);
  const gate = new GatedFs(w.fs);
  const db = await Db.open(gate, DIR, { sync: "always" });
  await db.put("before", "1");
  gate.held = true;
  // 40 ops: the sorted-run path of the memtable.
  const ops = Array.from({ length: 40 }, (_, i) => ({
    type: "put" as const,
    key: `k${String(i).padStart(2, "0")}`,
    value: `v${i}`,
  }));
  let done = false;
  const write = db.write(ops).then(() => (done = true));
  for (let i = 0; i < 50 && gate.waiting === 0; i++) await Promise.resolve();
  assert.equal(gate.waiting, 1, "the write waits for its fdatasync");
  assert.equal(done, false);
  assert.equal(db.get("k00"), undefined);
  assert.equal(db.get("k39"), undefined);
  const snap = db.snapshot();
  assert.deepEqual(await collect(db.scan()), [["before", "1"]]);
  gate.held = false;
  gate.release();
  await write;
  assert.equal(str(db.get("k07")), "v7");
  assert.equal((await collect(db.scan())).length, 41);
  assert.equal(snap.get("k07"), undefined, "a snapshot taken before the sync never sees it");
  snap.release();
  await db.close();
});
