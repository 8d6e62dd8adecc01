import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Clock, FileSystem, Net } from "../../src/platform/types.ts";
import { type NodeServiceOptions, resolveNodeOptions } from "../../src/server/node/options.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "../..");

/** Only what a caller must give; the resolver never touches the platform. */
const REQUIRED: NodeServiceOptions = {
  id: 1,
  peers: new Map([[1, "127.0.0.1:7001"]]),
  fs: {} as FileSystem,
  dataDir: "data",
  net: {} as Net,
  clock: {} as Clock,
  seed: 1,
};

/** The numbers docs/server.md ("Raft timing") gives for the binary. */
function documentedTiming(): { tickMs: number; heartbeatTicks: number; electionTicks: number } {
  const text = fs.readFileSync(path.join(ROOT, "docs/server.md"), "utf8").replace(/\s+/g, " ");
  const m = text.match(
    /ticks Raft every (\d+) ms, sends heartbeats every (\d+) ticks .* timeout from \[(\d+), (\d+)\) ticks/,
  );
  assert.ok(m !== null, "docs/server.md states the binary's Raft timing");
  assert.equal(Number(m[4]), 2 * Number(m[3]), "the timeout is drawn from [e, 2e)");
  return { tickMs: Number(m[1]), heartbeatTicks: Number(m[2]), electionTicks: Number(m[3]) };
}

test("node options: unset options resolve to the binary's documented values", () => {
  const o = resolveNodeOptions(REQUIRED);
  const doc = documentedTiming();
  assert.deepEqual(
    { tickMs: o.tickMs, heartbeatTicks: o.heartbeatTicks, electionTicks: o.electionTicks },
    doc,
  );
  assert.deepEqual(doc, { tickMs: 20, heartbeatTicks: 5, electionTicks: 50 });
  assert.equal(o.electionTimeoutMs, 1000);
  assert.equal(o.readMode, "linearizable");
  assert.equal(o.requestTimeoutMs, 5000);
  assert.equal(o.compactEntries, 100_000);
  assert.equal(o.membershipStepTimeoutMs, 60_000);
  assert.equal(o.join, false);
  assert.equal(o.rebuild, false);
  assert.ok(Object.isFrozen(o));
});

test("node options: given values are kept, and the election timeout follows them", () => {
  const o = resolveNodeOptions({
    ...REQUIRED,
    tickMs: 100,
    electionTicks: 10,
    heartbeatTicks: 1,
    readMode: "lease",
    join: true,
  });
  assert.equal(o.tickMs, 100);
  assert.equal(o.electionTicks, 10);
  assert.equal(o.heartbeatTicks, 1);
  assert.equal(o.electionTimeoutMs, 1000);
  assert.equal(o.readMode, "lease");
  assert.equal(o.join, true);
  assert.equal(o.peers, REQUIRED.peers);
});

test("node options: a heartbeat interval not below the election timeout is refused", () => {
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, electionTicks: 5 }), RangeError);
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, tickMs: 0 }), RangeError);
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, heartbeatTicks: 1.5 }), RangeError);
});

test("regionMergeBytes: 0 by default, at most half the split size, never without splitting", () => {
  assert.equal(resolveNodeOptions(REQUIRED).regionMergeBytes, 0);
  const split = { ...REQUIRED, regionSplitBytes: 4096 };
  assert.equal(resolveNodeOptions({ ...split, regionMergeBytes: 2048 }).regionMergeBytes, 2048);
  assert.throws(() => resolveNodeOptions({ ...split, regionMergeBytes: 2049 }), /at most half/);
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, regionMergeBytes: 1 }), /at most half/);
  assert.throws(() => resolveNodeOptions({ ...split, regionMergeBytes: -1 }), RangeError);
});

test("regionSplitLoad: 0 by default (never), a whole number of writes a second", () => {
  assert.equal(resolveNodeOptions(REQUIRED).regionSplitLoad, 0);
  assert.equal(resolveNodeOptions({ ...REQUIRED, regionSplitLoad: 500 }).regionSplitLoad, 500);
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, regionSplitLoad: -1 }), RangeError);
  assert.throws(() => resolveNodeOptions({ ...REQUIRED, regionSplitLoad: 1.5 }), RangeError);
});
