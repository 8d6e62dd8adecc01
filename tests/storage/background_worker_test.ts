/**
 * Flush and compaction in a background worker (docs/storage.md, "Background
 * worker"): the real worker thread on a real directory, the same job protocol
 * over an in-process loopback (so faults can be injected), a worker that never
 * starts (the engine runs its jobs inline) and one that dies or fails a job
 * (the failure surfaces as it does inline).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import type { WorkerChannel } from "../../src/platform/types.ts";
import { Db, type DbOptions } from "../../src/storage/db.ts";
import { serveStorageJobs } from "../../src/storage/jobs/worker_service.ts";
import { CorruptionError, IoError } from "../../src/util/errors.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { DIR, SMALL, str, world } from "./helpers.ts";

const platform = getPlatform();
/**
 * `deno test` type-checks a worker's module graph each time one starts (about 4 s here); the
 * real thread under Deno is exercised by `deno task bench:engine --worker`, and the job
 * protocol by the loopback cases below on both runners.
 */
const REAL_THREAD_SKIP = "Deno" in globalThis
  ? "deno test type-checks the worker on start (4 s); bun runs this case"
  : false;

/** Writes `n` keys in batches (overwriting some), returns the expected contents. */
async function fill(db: Db, n: number): Promise<Map<string, string>> {
  const want = new Map<string, string>();
  for (let b = 0; b < n / 50; b++) {
    const ops = [];
    for (let i = 0; i < 50; i++) {
      const key = `k${String((b * 37 + i * 11) % (n / 2)).padStart(6, "0")}`;
      const value = `v${b}.${i}`.padEnd(40, "x");
      want.set(key, value);
      ops.push({ type: "put" as const, key, value });
    }
    await db.write(ops);
  }
  return want;
}

async function check(db: Db, want: Map<string, string>): Promise<void> {
  let n = 0;
  for await (const [k, v] of db.scan()) {
    assert.equal(new TextDecoder().decode(v), want.get(new TextDecoder().decode(k)));
    n++;
  }
  assert.equal(n, want.size);
}

test("background worker: the real thread flushes and compacts; the data reads back", {
  skip: REAL_THREAD_SKIP,
}, async () => {
  const dir = makeTempDir("tinykv-bgw-");
  const options: DbOptions = { ...SMALL, memtableBytes: 16384, clock: platform.clock };
  try {
    const db = await Db.open(platform.fs, dir, {
      ...options,
      backgroundWorker: platform.startStorageWorker,
    });
    assert.deepEqual(await db.backgroundMode(), { mode: "worker" });
    const want = await fill(db, 2000);
    await db.compactRange();
    const st = db.stats();
    assert.equal(st.backgroundWorker, "worker");
    assert.ok(st.flushes > 0 && st.compactions > 0, `flushes ${st.flushes}, ${st.compactions}`);
    assert.equal(st.failed, null);
    await check(db, want);
    await db.close();
    const again = await Db.open(platform.fs, dir, options); // inline: same files, same data
    await check(again, want);
    await again.close();
  } finally {
    removeTempDir(dir);
  }
});

/** Two channel ends in this thread; messages are structured clones, delivered on a timer. */
function loopback(): { main: WorkerChannel; worker: WorkerChannel } {
  type Handlers = { msg: (m: unknown) => void; err: (e: Error) => void };
  const ends: { main?: Handlers; worker?: Handlers } = {};
  let open = true;
  const end = (self: "main" | "worker", other: "main" | "worker"): WorkerChannel => ({
    post: (m, transfer) => {
      const copy = structuredClone(m, { transfer: transfer ?? [] });
      setTimeout(() => open && ends[other]?.msg(copy), 0);
    },
    setHandlers: (msg, err) => void (ends[self] = { msg, err }),
    close: () => void (open = false),
  });
  return { main: end("main", "worker"), worker: end("worker", "main") };
}

for (const [starve, blobs] of [[false, false], [true, false], [true, true]]) {
  const how = (starve ? ", the worker asking for every table number" : "") +
    (blobs ? ", large values in blob files" : "");
  test(`background worker: the job protocol over a loopback keeps every write${how}`, async () => {
    const w = world(3);
    let answered = 0; // jobs the worker side answered
    let removes = 0; // tables the main side handed to the worker to delete
    const db = await Db.open(w.fs, DIR, {
      ...SMALL,
      clock: platform.clock,
      blobMinBytes: blobs ? 32 : 0,
      backgroundWorker: () => {
        const { main, worker } = loopback();
        const counted: WorkerChannel = {
          ...worker,
          post: (m, t) => {
            if ((m as { type: string }).type === "done") answered++;
            worker.post(m, t);
          },
        };
        serveStorageJobs(counted, w.fs, platform.clock);
        const toWorker: WorkerChannel = {
          ...main,
          post: (m, t) => {
            if ((m as { type: string }).type === "remove") removes++;
            main.post(m, t);
          },
        };
        if (!starve) return toWorker;
        // Jobs arrive with no numbers set aside: each output table needs a round trip.
        const strip = (m: unknown) =>
          (m as { type: string }).type === "numbers" ? m : { ...(m as object), numbers: [] };
        return { ...toWorker, post: (m, t) => toWorker.post(strip(m), t) };
      },
    });
    assert.deepEqual(await db.backgroundMode(), { mode: "worker" });
    const want = await fill(db, 1000);
    // Values that fill a flush run's 1 MiB chunks, and one larger than a chunk.
    const big = [600_000, 700_000, 1_500_000].map((n, i) => [`big${i}`, "b".repeat(n)] as const);
    await db.write(big.map(([key, value]) => ({ type: "put" as const, key, value })));
    for (const [key, value] of big) want.set(key, value);
    await db.compactRange();
    // Blob collections may follow the manual compaction: wait (bounded) for them to end.
    for (let i = 0, seen = -1; i < 100 && db.stats().compactions !== seen; i++) {
      seen = db.stats().compactions;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const st = db.stats();
    assert.ok(st.compactions > 0 && answered >= st.flushes + st.compactions, `${answered} jobs`);
    assert.equal(st.backgroundWorker, "worker");
    // Compacted-away tables are unlinked on the worker's side, a timer turn later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tables = w.fs.list(DIR).filter((name) => name.endsWith(".sst")).length;
    assert.ok(removes > 0, "no table removal went to the worker");
    assert.equal(tables, st.levels.reduce((n, l) => n + l.files, 0), "dead tables left");
    const blobFiles = w.fs.list(DIR).filter((name) => name.endsWith(".blob")).length;
    assert.equal(blobFiles, st.blobs.files, "dead blob files left");
    assert.equal(blobFiles > 0, blobs, `${blobFiles} blob files`);
    await check(db, want);
    await db.close();
  });
}

test("background worker: one that cannot start leaves the jobs inline", async () => {
  const w = world(4);
  const db = await Db.open(w.fs, DIR, {
    ...SMALL,
    backgroundWorker: () => ({
      post: () => {},
      setHandlers: (_msg, err) => void setTimeout(() => err(new Error("no such module")), 0),
      close: () => {},
    }),
  });
  assert.deepEqual(await db.backgroundMode(), { mode: "inline", why: "no such module" });
  const want = await fill(db, 600);
  await db.flush();
  assert.ok(db.stats().flushes > 0);
  await check(db, want);
  await db.close();
});

/** A worker that starts, then answers its first job with `answer` (or dies). */
function faulty(answer: "crash" | "corruption"): () => WorkerChannel {
  return () => {
    let onMsg: (m: unknown) => void = () => {}, onErr: (e: Error) => void = () => {};
    return {
      post: (m) => {
        const id = (m as { id: number }).id;
        setTimeout(() => {
          if (answer === "crash") return onErr(new Error("worker thread died"));
          const error = { name: "CorruptionError", message: "bad block", file: "000007.sst" };
          onMsg({ type: "failed", id, error: { ...error, offset: 12 } });
        }, 0);
      },
      setHandlers: (msg, err) => {
        onMsg = msg;
        onErr = err;
        setTimeout(() => msg({ type: "ready" }), 0);
      },
      close: () => {},
    };
  };
}

for (const answer of ["crash", "corruption"] as const) {
  test(`background worker: a ${answer} in the worker makes the engine fail, as inline`, async () => {
    const w = world(5);
    const db = await Db.open(w.fs, DIR, { ...SMALL, backgroundWorker: faulty(answer) });
    assert.deepEqual(await db.backgroundMode(), { mode: "worker" }); // jobs go to it from now on
    await db.put("a", "1");
    await assert.rejects(db.flush());
    const cause = db.failure?.cause;
    if (answer === "crash") {
      assert.ok(cause instanceof IoError && /storage worker crashed/.test(cause.message));
    } else {
      assert.ok(cause instanceof CorruptionError && cause.file === "000007.sst");
    }
    assert.match(db.stats().failed ?? "", answer === "crash" ? /crashed/ : /bad block/);
    await assert.rejects(db.put("b", "2"));
    assert.equal(str(db.get("a")), "1"); // reads still work
    await db.close();
  });
}

test("background worker: the tables it writes follow the engine's compression option", async () => {
  const sizes: Record<string, number> = {};
  for (const compression of ["none", "lz4"] as const) {
    const w = world(5);
    const db = await Db.open(w.fs, DIR, {
      ...SMALL,
      compression,
      clock: platform.clock,
      backgroundWorker: () => {
        const { main, worker } = loopback();
        serveStorageJobs(worker, w.fs, platform.clock);
        return main;
      },
    });
    assert.deepEqual(await db.backgroundMode(), { mode: "worker" });
    const want = await fill(db, 2000); // values padded with "x": compressible
    await db.compactRange();
    await check(db, want);
    await db.close();
    const tables = w.fs.list(DIR).filter((name) => name.endsWith(".sst"));
    assert.ok(tables.length > 0);
    sizes[compression] = tables.reduce((sum, t) => sum + (w.fs.stat(`${DIR}/${t}`)?.size ?? 0), 0);
  }
  assert.ok(sizes.lz4 < sizes.none * 0.8, `tables: ${sizes.lz4} B with lz4, ${sizes.none} without`);
});
