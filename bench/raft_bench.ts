/**
 * Raft benchmarks:
 * 1. committed entries per second in a 3-node in-process cluster (RawNode +
 *    MemoryStorage, messages delivered in memory, no fsync);
 * 2. the durable log's appends per second on the real file system, with one
 *    fsync per entry (group commit off) and one per batch of 64 (on).
 *
 *   deno run -A bench/raft_bench.ts     bun bench/raft_bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { describeMachine } from "./machine.ts";
import { getPlatform } from "../src/platform/detect.ts";
import { createPrng } from "../src/util/prng.ts";
import { RawNode } from "../src/raft/core/raw_node.ts";
import { bootstrapStorage, type MemoryStorage } from "../src/raft/core/storage.ts";
import type { Entry, Message } from "../src/raft/core/messages.ts";
import { EntryType } from "../src/raft/core/messages.ts";
import { LogStore } from "../src/raft/log_store.ts";

const ENTRY_BYTES = 128;
const DURATION_MS = 3000;

interface BenchNode {
  readonly rn: RawNode;
  readonly storage: MemoryStorage;
  committed: number;
}

function cluster(): BenchNode[] {
  const voters = [1, 2, 3];
  const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  return voters.map((id) => {
    const storage = bootstrapStorage(cs);
    const rn = new RawNode({
      id,
      electionTicks: 10,
      heartbeatTicks: 1,
      storage,
      prng: createPrng(id),
    });
    return { rn, storage, committed: 0 };
  });
}

/** One round: every node handles its Ready; messages are delivered afterwards. */
function round(nodes: BenchNode[]): void {
  const out: Message[] = [];
  for (const n of nodes) {
    if (!n.rn.hasReady()) continue;
    const rd = n.rn.ready();
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) out.push(m);
    n.committed += rd.committedEntries.length;
    n.rn.advance(rd);
  }
  for (const m of out) nodes[m.to - 1]?.rn.step(m);
}

function benchCluster(batch: number): { perSec: number; entries: number } {
  const nodes = cluster();
  const leader = nodes[0];
  if (leader === undefined) throw new Error("no node");
  leader.rn.campaign();
  while (!leader.rn.isLeader) round(nodes);
  for (let i = 0; i < 10; i++) round(nodes);
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  const start = performance.now();
  const base = leader.committed;
  let proposed = 0;
  while (performance.now() - start < DURATION_MS) {
    // Keep a bounded number of proposals in flight, like a client pipeline.
    while (proposed - (leader.committed - base) < 4 * batch) {
      for (let i = 0; i < batch; i++) leader.rn.propose(payload);
      proposed += batch;
    }
    round(nodes);
    // Compact now and then so memory stays bounded.
    if (leader.storage.lastIndex() - leader.storage.firstIndex() > 100_000) {
      for (const n of nodes) {
        const applied = n.rn.appliedIndex;
        n.storage.createSnapshot(applied, n.storage.confState, new Uint8Array(0));
        n.storage.compact(applied);
      }
    }
  }
  const secs = (performance.now() - start) / 1000;
  const entries = leader.committed - base;
  return { perSec: entries / secs, entries };
}

async function benchLog(perSync: number, total: number): Promise<number> {
  const dir = mkdtempSync(`${tmpdir()}/tinykv-raft-bench-`);
  try {
    const fs = getPlatform().fs;
    const store = await LogStore.open(fs, dir);
    const data = new Uint8Array(ENTRY_BYTES).fill(3);
    let index = 0;
    const start = performance.now();
    while (index < total) {
      const ents: Entry[] = [];
      for (let i = 0; i < perSync; i++) {
        index++;
        ents.push({ term: 1, index, type: EntryType.Normal, data });
      }
      await store.save({
        hardState: { term: 1, vote: 1, commit: index },
        entries: ents,
        snapshot: undefined,
        mustSync: true,
      });
    }
    const secs = (performance.now() - start) / 1000;
    store.close();
    return index / secs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

console.log(describeMachine());
console.log(`entry payload: ${ENTRY_BYTES} B; cluster runs ${DURATION_MS} ms per row\n`);
for (const batch of [1, 64, 512]) {
  const r = benchCluster(batch);
  console.log(
    `3-node in-process cluster, ${batch} proposals per round: ${fmt(r.perSec)} committed entries/s`,
  );
}
const off = await benchLog(1, 2000);
console.log(`durable log, group commit off (1 entry per fsync): ${fmt(off)} appends/s`);
const on = await benchLog(64, 64 * 500);
console.log(`durable log, group commit on (64 entries per fsync): ${fmt(on)} appends/s`);
