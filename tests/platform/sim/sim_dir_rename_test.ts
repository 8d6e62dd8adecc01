import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../../src/platform/sim/sim_file_system.ts";
import { createPrng } from "../../../src/util/prng.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

async function staged(): Promise<SimFileSystem> {
  const fs = new SimFileSystem(createPrng(1), new SimClock());
  fs.mkdir("d/incoming");
  const f = fs.open("d/incoming/a", { create: true });
  f.append(utf8("new"));
  await f.sync();
  await fs.syncDir("d/incoming");
  await fs.syncDir("d");
  return fs;
}

test("sim fs: a directory renames with its files", async () => {
  const fs = await staged();
  fs.rename("d/incoming", "d/kv");
  assert.deepEqual(fs.list("d"), ["kv"]);
  assert.equal(fromUtf8(fs.readFile("d/kv/a")), "new");
  assert.equal(fs.stat("d/incoming/a"), undefined);
});

test("sim fs: a directory rename survives a crash only after syncDir of its parent", async () => {
  const fs = await staged();
  fs.rename("d/incoming", "d/kv");
  fs.crash("lose");
  assert.deepEqual(fs.list("d"), ["incoming"]);
  assert.equal(fromUtf8(fs.readFile("d/incoming/a")), "new");
  fs.rename("d/incoming", "d/kv");
  await fs.syncDir("d");
  fs.crash("lose");
  assert.deepEqual(fs.list("d"), ["kv"]);
  assert.equal(fromUtf8(fs.readFile("d/kv/a")), "new");
});
