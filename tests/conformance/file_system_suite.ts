/**
 * One behaviour contract for every FileSystem adapter (docs/style.md §2.20): the
 * Deno and node:fs adapters against a real temp directory, and the simulator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FileSystem } from "../../src/platform/types.ts";
import { NotFoundError } from "../../src/util/errors.ts";

export interface FsFixture {
  readonly fs: FileSystem;
  /** A directory that exists and is empty. */
  readonly dir: string;
  cleanup(): void;
}

const bytes = (...xs: number[]) => new Uint8Array(xs);

export function runFileSystemSuite(name: string, make: () => FsFixture): void {
  const t = (title: string, body: (f: FsFixture) => Promise<void> | void) =>
    test(`${name}: ${title}`, async () => {
      const fixture = make();
      try {
        await body(fixture);
      } finally {
        fixture.cleanup();
      }
    });

  t("open({create}) makes an empty file; append and read back", async ({ fs, dir }) => {
    const f = fs.open(`${dir}/a.log`, { create: true });
    assert.equal(f.size(), 0);
    f.append(bytes(1, 2, 3));
    f.append(bytes(4, 5));
    assert.equal(f.size(), 5);
    await f.sync();
    assert.deepEqual(f.read(0, 5), bytes(1, 2, 3, 4, 5));
    assert.deepEqual(f.read(3, 100), bytes(4, 5), "short read at end of file");
    assert.deepEqual(f.read(9, 4), bytes(), "read past end is empty");
    f.close();
    assert.deepEqual(fs.readFile(`${dir}/a.log`), bytes(1, 2, 3, 4, 5));
  });

  t("positional write overwrites and extends; truncate cuts", ({ fs, dir }) => {
    const f = fs.open(`${dir}/b`, { create: true });
    f.write(0, bytes(1, 1, 1, 1));
    f.write(2, bytes(9, 9, 9));
    assert.deepEqual(f.read(0, 10), bytes(1, 1, 9, 9, 9));
    const into = new Uint8Array(3);
    assert.equal(f.readInto(into, 1), 3);
    assert.deepEqual(into, bytes(1, 9, 9));
    f.truncate(2);
    assert.equal(f.size(), 2);
    f.append(bytes(7));
    assert.deepEqual(f.read(0, 10), bytes(1, 1, 7));
    f.close();
  });

  t("reopen without truncate keeps data; truncate option empties", ({ fs, dir }) => {
    const f = fs.open(`${dir}/c`, { create: true });
    f.append(bytes(5, 6));
    f.close();
    const g = fs.open(`${dir}/c`, { create: true });
    assert.equal(g.size(), 2);
    g.append(bytes(7));
    g.close();
    assert.deepEqual(fs.readFile(`${dir}/c`), bytes(5, 6, 7));
    fs.open(`${dir}/c`, { truncate: true }).close();
    assert.equal(fs.stat(`${dir}/c`)?.size, 0);
  });

  t("missing files give NotFoundError; stat says undefined", ({ fs, dir }) => {
    assert.throws(() => fs.open(`${dir}/nope`), NotFoundError);
    assert.throws(() => fs.readFile(`${dir}/nope`), NotFoundError);
    assert.equal(fs.stat(`${dir}/nope`), undefined);
    fs.open(`${dir}/x`, { create: true, exclusive: true }).close();
    assert.throws(() => fs.open(`${dir}/x`, { create: true, exclusive: true }), "exclusive create");
  });

  t("rename replaces, remove deletes, list is sorted, mkdir is recursive", async ({ fs, dir }) => {
    fs.mkdir(`${dir}/sub/deeper`);
    assert.equal(fs.stat(`${dir}/sub/deeper`)?.isDirectory, true);
    fs.open(`${dir}/z`, { create: true }).close();
    const tmp = fs.open(`${dir}/CURRENT.tmp`, { create: true });
    tmp.append(bytes(42));
    await tmp.sync();
    tmp.close();
    fs.open(`${dir}/CURRENT`, { create: true }).close();
    fs.rename(`${dir}/CURRENT.tmp`, `${dir}/CURRENT`);
    await fs.syncDir(dir);
    assert.deepEqual(fs.readFile(`${dir}/CURRENT`), bytes(42));
    assert.deepEqual(fs.list(dir), ["CURRENT", "sub", "z"]);
    fs.remove(`${dir}/z`);
    assert.deepEqual(fs.list(dir), ["CURRENT", "sub"]);
    fs.remove(`${dir}/sub/deeper`);
    assert.deepEqual(fs.list(`${dir}/sub`), []);
  });

  t("large file: 8 MiB written in 64 KiB appends reads back exactly", async ({ fs, dir }) => {
    const f = fs.open(`${dir}/big`, { create: true });
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 128; i++) {
      chunk.fill(i);
      f.append(chunk);
    }
    await f.sync();
    assert.equal(f.size(), 8 * 1024 * 1024);
    const got = f.read(64 * 1024 * 77 + 5, 3);
    assert.deepEqual(got, bytes(77, 77, 77));
    f.close();
  });
}
