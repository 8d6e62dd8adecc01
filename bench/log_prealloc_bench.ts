/**
 * Why the Raft log writes zeros ahead of its records (src/raft/log_store.ts):
 * 1,000-byte records, one fdatasync each, appended to a growing file versus
 * written over zeros written and synced beforehand; each alone and while the
 * same process writes 16 MiB table-like files (4 MiB writes, one fsync per
 * file), as the storage engine does during flushes. Uses the platform
 * adapter, so its fsyncs run on the thread pool like the log store's.
 *
 *   bun bench/log_prealloc_bench.ts [--syncs 3000] [--rounds 2]
 *
 * Results with the machine described go to bench/RESULTS.md.
 */
import { parseArgs } from "node:util";
import { getPlatform } from "../src/platform/detect.ts";
import type { File } from "../src/platform/types.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    syncs: { type: "string", default: "3000" },
    rounds: { type: "string", default: "2" },
  },
});
const SYNCS = Number(values.syncs);
const ROUNDS = Number(values.rounds);
const RECORD = new Uint8Array(1000).fill(7);
const ZEROED_BYTES = 8 * 1024 * 1024;

const platform = getPlatform();
const dir = makeTempDir("tinykv-prealloc-bench-");

/** Writes 16 MiB files in 4 MiB writes with an fsync each, until `stop()`. */
function backgroundWriter(): { stop: () => Promise<void> } {
  let running = true;
  const big = new Uint8Array(4 * 1024 * 1024).fill(3);
  const done = (async () => {
    for (let k = 0; running && k < 100_000; k++) {
      const f = platform.fs.open(`${dir}/table-${k % 4}`, { create: true, truncate: true });
      for (let i = 0; i < 4 && running; i++) {
        f.append(big);
        await new Promise((r) => setTimeout(r, 5));
      }
      await f.sync();
      f.close();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function measure(mode: "append" | "zeroed", background: boolean): Promise<string> {
  const f: File = platform.fs.open(`${dir}/log-${mode}`, { create: true, truncate: true });
  if (mode === "zeroed") {
    f.write(0, new Uint8Array(ZEROED_BYTES));
    await f.sync();
  }
  const bg = background ? backgroundWriter() : undefined;
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SYNCS; i++) {
    const start = performance.now();
    f.write((i * RECORD.length) % ZEROED_BYTES, RECORD);
    await f.sync();
    latencies.push(performance.now() - start);
  }
  const seconds = (performance.now() - t0) / 1000;
  await bg?.stop();
  f.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.floor(p * (latencies.length - 1))].toFixed(2);
  const label = `${mode === "append" ? "appending" : "over zeros"}${background ? " + tables" : ""}`;
  return `| ${label} | ${(SYNCS / seconds).toFixed(0)} | ${q(0.5)} | ${q(0.99)} | ${q(1)} |`;
}

console.log(describeMachine());
console.log(`${SYNCS} records of ${RECORD.length} B, one fdatasync each`);
console.log("| log file | syncs/s | p50 ms | p99 ms | max ms |");
console.log("| --- | ---: | ---: | ---: | ---: |");
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const background of [false, true]) {
      for (const mode of ["append", "zeroed"] as const) {
        console.log(await measure(mode, background));
      }
    }
  }
} finally {
  removeTempDir(dir);
}
