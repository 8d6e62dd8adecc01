/**
 * What moving a node's single-group Raft log into the shared multi-region log
 * costs at the first start of a build with regions (src/raft/log_migration.ts):
 * an old-layout log of N entries of B bytes is written, then `openSharedLog`
 * migrates it; prints the log size, the migration's wall time and MB/s.
 *
 *   bun bench/log_migration_bench.ts [--entries 20000,200000] [--bytes 100,4096]
 *   deno run -A bench/log_migration_bench.ts
 *
 * Results with the machine described go to bench/RESULTS.md.
 */
import { parseArgs } from "node:util";
import { getPlatform } from "../src/platform/detect.ts";
import { type Entry, EntryType } from "../src/raft/core/messages.ts";
import { LogStore } from "../src/raft/log_store.ts";
import { MIGRATED_REGION, openSharedLog } from "../src/raft/log_migration.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "20000,200000" },
    bytes: { type: "string", default: "100,4096" },
  },
});
const CS = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};
const BATCH = 1000;

async function writeOldLog(dir: string, count: number, bytes: number): Promise<void> {
  const fs = getPlatform().fs;
  const s = await LogStore.open(fs, `${dir}/raft`);
  const snapshot = { metadata: { index: 1, term: 1, confState: CS }, data: new Uint8Array(0) };
  await s.save({
    hardState: { term: 1, vote: 1, commit: 1 },
    entries: [],
    snapshot,
    mustSync: true,
  });
  const data = new Uint8Array(bytes).fill(7);
  for (let from = 2; from <= count + 1; from += BATCH) {
    const entries: Entry[] = [];
    for (let i = from; i < Math.min(from + BATCH, count + 2); i++) {
      entries.push({ term: 1, index: i, type: EntryType.Normal, data });
    }
    const commit = entries[entries.length - 1].index;
    await s.save({
      hardState: { term: 1, vote: 1, commit },
      entries,
      snapshot: undefined,
      mustSync: true,
    });
  }
  s.close();
}

console.log(describeMachine());
console.log("| entries | entry bytes | log MB | migration ms | MB/s |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const count of values.entries.split(",").map(Number)) {
  for (const bytes of values.bytes.split(",").map(Number)) {
    const dir = makeTempDir("tinykv-logmig-");
    try {
      await writeOldLog(dir, count, bytes);
      const fs = getPlatform().fs;
      const mb = fs.list(`${dir}/raft`)
        .reduce((n, f) => n + (fs.stat(`${dir}/raft/${f}`)?.size ?? 0), 0) / 1e6;
      const t0 = performance.now();
      const { log } = await openSharedLog(fs, dir);
      const ms = performance.now() - t0;
      const last = log.group(MIGRATED_REGION).lastIndex();
      log.close();
      if (last !== count + 1) throw new Error(`migrated ${last} entries, wrote ${count + 1}`);
      const row = [count, bytes, mb.toFixed(1), ms.toFixed(0), (mb / (ms / 1000)).toFixed(0)];
      console.log(`| ${row.join(" | ")} |`);
    } finally {
      removeTempDir(dir);
    }
  }
}
