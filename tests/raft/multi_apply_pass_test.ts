/**
 * The driver's apply-pass bracket (src/raft/multi/apply_pass.ts): every region's apply runs
 * between a `begin` and its `end`, and the regions a round applies together share one bracket
 * (a node answers a pass's writes together: src/server/node/pass_answers.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import type { ApplyPassBracket } from "../../src/raft/multi/apply_pass.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

const REGIONS = 12;

/** Counts node n's applied values over its regions at each begin and end. */
class Recorder implements ApplyPassBracket {
  open = 0;
  passes = 0;
  /** Values applied between two passes (outside any bracket). */
  outside = 0;
  /** Most regions that applied something within one pass. */
  widest = 0;
  atEnd = 0;
  #atBegin: number[] = [];
  constructor(readonly applied: () => number[]) {}
  begin(): void {
    this.open++;
    this.#atBegin = this.applied();
    this.outside += sum(this.#atBegin) - this.atEnd;
  }
  end(): void {
    this.open--;
    this.passes++;
    const now = this.applied();
    this.atEnd = sum(now);
    this.widest = Math.max(this.widest, now.filter((v, i) => v !== this.#atBegin[i]).length);
  }
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

test("multi raft apply pass: every apply inside a bracket, a round's regions in one", async () => {
  const recorders = new Map<number, Recorder>();
  const ids = Array.from({ length: REGIONS }, (_, i) => i + 1);
  const c: MultiCluster = await MultiCluster.start({
    nodes: 3,
    regions: REGIONS,
    seed: 7,
    loss: 0,
    quiesce: true,
    applyPass: (n) => {
      const r = new Recorder(() => ids.map((id) => c.sm(n, id)?.applied.length ?? 0));
      recorders.set(n, r);
      return r;
    },
  });
  for (const r of ids) c.driver(1).region(r)?.rawNode.campaign();
  await c.run(4);
  await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 200, "node 1 leads all");
  for (let k = 0; k < 3; k++) {
    for (const r of ids) assert.ok(c.driver(1).propose(r, utf8(`r${r}v${k}`)) !== undefined);
    await c.run(3);
  }
  const done = () => ids.every((r) => [1, 2, 3].every((n) => c.sm(n, r)?.applied.length === 3));
  await c.until(done, 200, "applied everywhere");
  for (const [n, rec] of recorders) {
    assert.equal(rec.open, 0, `node ${n}: every begin ended`);
    assert.equal(rec.outside, 0, `node ${n}: nothing applied outside a pass`);
    assert.equal(sum(rec.applied()), rec.atEnd, `node ${n}: nothing applied after the last`);
    assert.ok(rec.passes > 0, `node ${n}: passes`);
  }
  // The leader proposed to every region at once: one round applied several regions together.
  assert.ok((recorders.get(1)?.widest ?? 0) > 1, `widest pass ${recorders.get(1)?.widest}`);
});
