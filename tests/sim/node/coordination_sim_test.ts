/**
 * A few seeds of the whole-node simulation with every fault kind, checking
 * what the coordination API adds (docs/simulation.md, checks 5-7): the
 * revision checker over transactions and every other operation, the lease
 * checks, the watch checks. Each must pass and must have checked real work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FAULT_KINDS } from "../../../src/sim/fault_kinds.ts";
import { runSeed } from "../../../src/sim/run_seed.ts";

const SEEDS = [{ seed: 7, nodes: 3 }, { seed: 8, nodes: 5 }];

test("whole-node sim: transactions, leases and watches pass the revision checks", async () => {
  for (const { seed, nodes } of SEEDS) {
    const r = await runSeed({ seed, nodes, faults: [...FAULT_KINDS], faultPhaseMs: 10_000 });
    const replay = `./tinykv sim --seed ${seed} --nodes ${nodes} --trace`;
    assert.deepEqual(r.failures, [], `seed ${seed} failed; replay: ${replay}\n${r.trace.tail(30)}`);
    const rev = r.revisions;
    assert.ok(rev !== undefined && rev.ok, `seed ${seed}: the revision check did not run`);
    assert.ok(rev.fixed > 100, `seed ${seed}: only ${rev.fixed} operations at exact revisions`);
    assert.ok(rev.placed > 50, `seed ${seed}: only ${rev.placed} reads placed`);
    const co = r.coordination;
    assert.ok(co !== undefined && co.leases > 0, `seed ${seed}: no lease was held`);
    assert.ok(co.watches > 0 && co.events > 20, `seed ${seed}: ${co.events} events watched`);
  }
});
