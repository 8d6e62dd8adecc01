import { test } from "node:test";
import assert from "node:assert/strict";
import { Fifo } from "../../../src/platform/sim/fifo.ts";

test("Fifo: first in, first out across compactions; at, last, replaceFirst, clear", () => {
  const fifo = new Fifo<number>();
  const model: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    fifo.push(i);
    model.push(i);
    if (i % 3 !== 0) assert.equal(fifo.shift(), model.shift());
    assert.equal(fifo.length, model.length);
  }
  assert.equal(fifo.at(0), model[0]);
  assert.equal(fifo.at(5), model[5]);
  assert.equal(fifo.at(model.length), undefined);
  assert.equal(fifo.last(), model.at(-1));
  fifo.replaceFirst(-1);
  assert.equal(fifo.shift(), -1);
  fifo.clear();
  assert.equal(fifo.length, 0);
  assert.equal(fifo.shift(), undefined);
  assert.equal(fifo.last(), undefined);
  assert.throws(() => fifo.replaceFirst(1), RangeError);
});
