/**
 * The whole-node simulation with regions splitting (docs/simulation.md "With regions"): nodes
 * with a 4 KiB split size under faults that wipe a node (its regions come back as replicas
 * created from peers' messages and filled by images) and change membership (every region
 * follows region 1). Every check that holds with regions must pass, and the bank's transactions
 * (bank_txn_ops.ts) must have spanned regions: transfers committed between accounts in different
 * regions, full reads over several. `deno task sim:regions` runs many more seeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FaultKind } from "../../../src/sim/fault_kinds.ts";
import { runSeed } from "../../../src/sim/run_seed.ts";

const SPLIT_BYTES = 4096;

/**
 * Seeds that pass on both runners, and the fault kind each is here for. A seed's run is the same
 * every time on one runtime but may differ between Deno and Bun (seed 23 with every kind drew a
 * membership change under Deno only), so a seed may fix its fault kinds to make sure of it.
 */
const SEEDS: { seed: number; kind: FaultKind; faults?: FaultKind[] }[] = [
  // Wiped nodes get their regions back from their leaders (six wipes), while connections reset.
  { seed: 2, kind: "wipe-rejoin", faults: ["wipe-rejoin", "conn-reset"] },
  // A node removed and added back in every region, while nodes pause. (Seed 22 was here until
  // session 15 shifted its draws; 25 makes six membership changes on both runtimes.)
  { seed: 25, kind: "membership", faults: ["membership", "pause"] },
];

for (const { seed, kind, faults } of SEEDS) {
  test(`whole-node sim with regions: seed ${seed} passes every check that holds`, async () => {
    const r = await runSeed({ seed, faults, regionSplitBytes: SPLIT_BYTES, trace: true });
    const only = faults === undefined ? "" : ` --faults ${faults.join(",")}`;
    const replay = `./tinykv sim --seed ${seed}${only} --region-split-bytes ${SPLIT_BYTES} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
    assert.ok(r.faults[kind] > 0, `seed ${seed}: no ${kind} fault`);
    assert.ok(r.revisions?.ok === true && r.revisions.placed > 100, "key revision order checked");
    // Transactions across regions take about four Raft rounds: fewer operations fit in the run.
    assert.ok(r.ops.ok > 400, `seed ${seed}: only ${r.ops.ok} operations succeeded`);
    const bank = r.bankTxn;
    assert.ok(bank.regions >= 3, `seed ${seed}: the accounts ended in ${bank.regions} regions`);
    assert.ok(bank.crossed >= 5, `seed ${seed}: ${bank.crossed} transfers across regions`);
    assert.ok(bank.readsCrossed >= 3, `seed ${seed}: ${bank.readsCrossed} reads across regions`);
    const splits = r.trace.lines().filter((l) => l.includes("region.split parent=")).length;
    assert.ok(splits >= 5, `seed ${seed}: only ${splits} split applies`);
  });
}

test("whole-node sim with splits by load: regions split only for their writes, every check holds", async () => {
  // The split size is far above anything a run writes: every split here is one by load
  // (region_load.ts), planned from a sample of the keys written, under the faults.
  const seed = 4, splitBytes = 64 * 1024 * 1024, load = 4;
  const r = await runSeed({
    seed,
    regionSplitBytes: splitBytes,
    regionSplitLoad: load,
    trace: true,
  });
  const replay = `./tinykv sim --seed ${seed} --region-split-bytes ${splitBytes} ` +
    `--region-split-load ${load} --trace`;
  assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
  assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
  const lines = r.trace.lines();
  const byLoad = lines.filter((l) => l.includes("region.split_proposed") && l.includes("why=load"));
  const bySize = lines.filter((l) => l.includes("region.split_proposed") && l.includes("why=size"));
  assert.ok(byLoad.length >= 3, `seed ${seed}: ${byLoad.length} splits by load proposed`);
  assert.equal(bySize.length, 0, "no split by size");
  assert.ok(
    r.bankTxn.regions >= 3,
    `seed ${seed}: the accounts ended in ${r.bankTxn.regions} regions`,
  );
});

/**
 * Seeds with merges (a 1 KiB merge size) that once failed, each for the bug named: they must pass
 * every check. Their runs may differ between Deno and Bun (see SEEDS above), so on one of the two
 * a seed may not reach its case; it must pass all the same. (Seed 43, a merge source re-made by a
 * replayed split, takes 7–13 s: its case is tested in region_merge_missed_commit_test.ts, and
 * `deno task sim:merges` runs it with the others.)
 */
const MERGE_SEEDS: { seed: number; fixed: string }[] = [
  // A node that joined, without region 1's image yet, took "no members" for everyone gone and
  // removed both other voters of a region it led (region_membership.ts `nextChange`, tested in
  // tests/server/region_ids_membership_test.ts). Seed 99 found it; session 27's apply order
  // shifted its draws so that it merges nothing under Deno, and seed 97 (a wipe and rejoin, a
  // membership change and 15 merges on both runtimes) stands in.
  { seed: 97, fixed: "a rejoined node, a membership change and merges" },
  // A removed learner of region 0 that was never told waited for a leader on every write
  // (placement_group_member.ts `votes`).
  { seed: 117, fixed: "only a voter of region 0 waits for its election" },
  // A member's removal reached a source's log after its PrepareMerge and was taken: the commit was
  // refused for ever, "voters differ" (region_membership.ts `applyRegionEntries`, `refused`).
  { seed: 242, fixed: "a prepared source refuses a membership change" },
];

for (const { seed, fixed } of MERGE_SEEDS) {
  test(`whole-node sim with merges: seed ${seed} passes (${fixed})`, async () => {
    const merge = 1024;
    const r = await runSeed({
      seed,
      regionSplitBytes: SPLIT_BYTES,
      regionMergeBytes: merge,
      trace: true,
    });
    const replay = `./tinykv sim --seed ${seed} --region-split-bytes ${SPLIT_BYTES} ` +
      `--region-merge-bytes ${merge} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
    const merged = r.trace.lines().filter((l) => l.includes("region.merge kind=merged")).length;
    assert.ok(merged >= 1, `seed ${seed}: no merge applied`);
  });
}

/**
 * Seed 3047 (five nodes, splitting at 4 KiB): a GET of a database-1 key on a node whose replica of
 * the key's region was left out of its configuration (a placement move) while the read waited for
 * its barrier answered null for a key written long before. The read checked the regions it
 * started with, not those still served (read_settle.ts `unchanged`). On Bun the run may differ and
 * not reach the case; it must pass all the same.
 */
test("whole-node sim with regions: seed 3047 passes (a read whose region moved off meanwhile)", async () => {
  const seed = 3047;
  const r = await runSeed({ seed, regionSplitBytes: SPLIT_BYTES, trace: true });
  const replay = `./tinykv sim --seed ${seed} --region-split-bytes ${SPLIT_BYTES} --trace`;
  assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
  assert.equal(r.linearizable, true, `seed ${seed}: the history was not fully checked`);
});
