/**
 * `openDb` (mod.ts) and its `backgroundWorker` option: off by default (an idle worker would keep
 * the process alive until close), `true` starts the platform's worker from source and the
 * engine's flushes run there, `false` is the default spelled out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openDb } from "../../mod.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";

/** `deno test` type-checks a worker's module graph on start (about 4 s): bun runs this case. */
const REAL_THREAD_SKIP = "Deno" in globalThis
  ? "deno test type-checks the worker on start (4 s); bun runs this case"
  : false;

const enc = new TextEncoder();
const dec = new TextDecoder();

test("openDb: no background worker unless asked", async () => {
  const dir = makeTempDir("opendb-worker-");
  try {
    for (const options of [{}, { backgroundWorker: false }]) {
      const db = await openDb(`${dir}/db${Object.keys(options).length}`, options);
      assert.deepEqual(await db.backgroundMode(), { mode: "inline", why: "no worker configured" });
      assert.equal(db.stats().backgroundWorker, "inline");
      await db.close();
    }
  } finally {
    removeTempDir(dir);
  }
});

test("openDb: backgroundWorker true flushes in the worker thread", {
  skip: REAL_THREAD_SKIP,
}, async () => {
  const dir = makeTempDir("opendb-worker-");
  try {
    const db = await openDb(`${dir}/db`, { backgroundWorker: true, memtableBytes: 64 * 1024 });
    assert.deepEqual(await db.backgroundMode(), { mode: "worker" });
    for (let i = 0; i < 2000; i++) {
      await db.put(enc.encode(`k${String(i).padStart(5, "0")}`), enc.encode(`v${i}`));
    }
    await db.flush();
    assert.ok(db.stats().flushes > 0, "the memtable was flushed");
    await db.close();
    const again = await openDb(`${dir}/db`);
    assert.equal(dec.decode(again.get("k01999")), "v1999");
    await again.close();
  } finally {
    removeTempDir(dir);
  }
});
