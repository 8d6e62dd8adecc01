import { test } from "node:test";
import assert from "node:assert/strict";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import type { SkipNode } from "../../../src/storage/memtable/skiplist.ts";
import { encodeBatch, type WriteOp } from "../../../src/storage/write_batch.ts";
import { compareBytes } from "../../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../../src/util/prng.ts";

/**
 * Keys of 0–35 bytes from a tiny alphabet: equal keys, prefixes, the 17/18/19-byte edge of the
 * nodes' inline words and the 24/29/30/31-byte edges of a run's words (sorted_run.ts): past 30
 * bytes equal words no longer mean equal keys.
 */
function key(p: Prng): Uint8Array {
  const len = [0, 1, 5, 16, 17, 17, 18, 18, 19, 24, 25, 29, 30, 30, 31, 31, 35][p.int(17)];
  // Mostly zeros, so that keys often tie on every word (and on every byte).
  return new Uint8Array(len).map(() => (p.int(6) === 0 ? 1 : 0));
}

/** The flush's "same user key as the entry before" answers, walking the settled memtable. */
function sameAnswers(mem: Memtable): { answers: boolean[]; truth: boolean[] } {
  const answers: boolean[] = [], truth: boolean[] = [];
  const c = mem.nodeCursor();
  let prev: SkipNode | undefined;
  for (c.seekToFirst(); c.valid(); c.next()) {
    const n = c.node();
    answers.push(c.sameKeyAsPrevious(prev));
    truth.push(prev !== undefined && compareBytes(prev.key, n.key) === 0);
    prev = n;
  }
  return { answers, truth };
}

for (const batchOps of [40, 3]) {
  const shape = batchOps >= 16 ? "sorted runs" : "the skiplist";
  test(`memtable cursor tells equal user keys apart from ${shape}`, () => {
    const p = createPrng(batchOps);
    const mem = new Memtable(createPrng(9), 1);
    let seq = 1;
    for (let b = 0; b < 30; b++) {
      const ops: WriteOp[] = [];
      for (let i = 0; i < batchOps; i++) ops.push({ type: "put", key: key(p), value: "v" });
      mem.addBatch(encodeBatch(ops), seq);
      seq += ops.length;
    }
    const { answers, truth } = sameAnswers(mem);
    assert.equal(answers.length, 30 * batchOps);
    assert.deepEqual(answers, truth);
    assert.ok(truth.some((t) => t) && truth.some((t) => !t)); // both answers occur
  });
}
