/**
 * The multi-region log as the multi-RawNode driver will use it: one RawNode
 * per region reading its view's MemoryStorage, every region's Ready of a
 * round saved with one `save` (one fsync), then advanced; after a crash the
 * RawNodes restart from the views and find every committed proposal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import type { Ready } from "../../src/raft/core/ready.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import type { PersistRequest } from "../../src/raft/log_store.ts";

const REGIONS = 40;
const SOLO = { voters: [1], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };

function rawNodes(store: MultiLogStore): Map<number, RawNode> {
  const out = new Map<number, RawNode>();
  for (let r = 1; r <= REGIONS; r++) {
    const storage = store.group(r).storage;
    const applied = storage.snapshot().metadata.index;
    out.set(
      r,
      new RawNode({
        id: 1,
        electionTicks: 10,
        heartbeatTicks: 1,
        storage,
        prng: createPrng(r),
        applied,
      }),
    );
  }
  return out;
}

/** Runs driver rounds until no region has a Ready; returns the committed data per region. */
async function drive(
  store: MultiLogStore,
  nodes: Map<number, RawNode>,
  applied: Map<number, string[]>,
) {
  for (let round = 0; round < 50; round++) {
    const readys = new Map<number, Ready>();
    for (const [r, rn] of nodes) if (rn.hasReady()) readys.set(r, rn.ready());
    if (readys.size === 0) return;
    const syncs = store.syncs;
    await store.save(readys as ReadonlyMap<number, PersistRequest>);
    const mustSync = [...readys.values()].some((rd) => rd.mustSync);
    assert.equal(store.syncs - syncs, mustSync ? 1 : 0, "one fsync for the whole round");
    for (const [r, rd] of readys) {
      for (const e of rd.committedEntries) {
        if (e.data.length > 0) applied.get(r)?.push(new TextDecoder().decode(e.data));
      }
      nodes.get(r)?.advance(rd);
    }
  }
  throw new Error("rounds did not settle");
}

test("multi log: one RawNode per region over its view, one save per round, restart", async () => {
  const w = createSimWorld(21, { trace: false });
  const store = await MultiLogStore.open(w.fs, "raft-multi", { preallocateBytes: 0 });
  const boot = new Map<number, PersistRequest>();
  for (let r = 1; r <= REGIONS; r++) {
    boot.set(r, {
      hardState: { term: 1, vote: 0, commit: 1 },
      entries: [],
      snapshot: { metadata: { index: 1, term: 1, confState: SOLO }, data: new Uint8Array(0) },
      mustSync: true,
    });
  }
  await store.save(boot);
  const nodes = rawNodes(store);
  const applied = new Map<number, string[]>([...nodes.keys()].map((r) => [r, []]));
  for (const rn of nodes.values()) rn.campaign();
  await drive(store, nodes, applied);
  for (let k = 0; k < 5; k++) {
    for (const [r, rn] of nodes) {
      if (r % (k + 1) === 0) assert.ok("index" in rn.propose(utf8(`r${r}v${k}`)));
    }
    await drive(store, nodes, applied);
  }
  for (const [r, got] of applied) {
    const want = [0, 1, 2, 3, 4].filter((k) => r % (k + 1) === 0).map((k) => `r${r}v${k}`);
    assert.deepEqual(got, want, `region ${r}`);
  }
  w.fs.crash("tear");
  const again = await MultiLogStore.open(w.fs, "raft-multi");
  const restarted = rawNodes(again);
  const replayed = new Map<number, string[]>([...restarted.keys()].map((r) => [r, []]));
  for (const rn of restarted.values()) rn.campaign();
  await drive(again, restarted, replayed);
  assert.deepEqual(replayed, applied, "every region re-applies its committed proposals");
  for (const rn of restarted.values()) assert.equal(rn.term, 3);
});
