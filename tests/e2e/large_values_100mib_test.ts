/**
 * A 100 MiB value through the compiled binary on both data ports, with the
 * client library's default timeouts, checking every node's peak resident
 * memory (VmHWM) against the bound in docs/limits.md ("Large values"): on the
 * one-region node, and with regions splitting at the size the binary is to
 * default to (decision 0020), where the two values are a region past its split
 * size and the split falls between them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Redis } from "ioredis";
import { BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const MiB = 1 << 20;
/**
 * docs/limits.md, "Large values and memory": while a node handles one value, its peak RSS ≤
 * the RSS when the value arrived + 12 × the value's size; two values back to back stay within
 * the idle base + 18 × (the first value's largest residue seen plus the second's largest rise).
 */
const COPIES_BOUND = 12;
const TWO_VALUES_BOUND = 18;
/**
 * One node with regions splitting: the value's region splits when the node's split check next
 * runs, which may fall in the second value's phase, while that value's copies are resident, as
 * on a node of three.
 * A CI run saw 13.1 × for the RESP value and 18.1 × for both (docs/limits.md): the per-node bound
 * of a splitting cluster, and the largest residue seen (9.1 ×) on top of it.
 */
const SPLITTING_COPIES_BOUND = 14;
const SPLITTING_TWO_VALUES_BOUND = 23;
/**
 * With regions splitting, a node of three: the value's region splits right after the put, on
 * every node, while the value's copies are still resident: at most 9.1 × per node in five of nine
 * runs, 10.4–12.1 × in three, 13.3 × once at load 10–12 (docs/limits.md). One node keeps 12 ×.
 */
const SPLITTING_CLUSTER_BOUND = 14;

/** A node's peak resident memory (VmHWM) in MiB. */
function peakMiB(c: BinaryCluster, id: number): number {
  return (c.memoryKb(id, "VmHWM") ?? 0) / 1024;
}

/**
 * Starts a new peak: Linux resets VmHWM to the current RSS on "5" written to clear_refs. The
 * second value's phase is then measured from what the node holds when it starts (the first
 * value still in the memtable and the Raft log), not from the first value's peak.
 */
function resetPeakMiB(c: BinaryCluster, id: number): number {
  const pid = c.nodes.get(id)?.proc?.pid;
  assert.ok(pid !== undefined, `node ${id} runs`);
  fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
  return (c.memoryKb(id, "VmRSS") ?? 0) / 1024;
}

/** Splitting off, and the binary's default for a new cluster (256 MiB: decisions 0020, 0025). */
const MODES = [
  { name: "one region", args: ["--region-split-bytes", "0"] },
  { name: "splitting", args: [] },
];

for (const mode of MODES) {
  test(`binary (${mode.name}): a 100 MiB value round-trips on both ports within the bound`, {
    timeout: 120_000,
    skip: BINARY_ONLY_SKIP,
  }, async () => await roundTrip(mode.args));
  test(`binary (${mode.name}): a 100 MiB value replicates to 3 nodes within the cluster bound`, {
    timeout: 300_000,
    skip: BINARY_ONLY_SKIP,
  }, async () => await replicate(mode.args));
}

async function roundTrip(args: string[]): Promise<void> {
  const splitting = !args.includes("--region-split-bytes");
  const perValue = splitting ? SPLITTING_COPIES_BOUND : COPIES_BOUND;
  const both = splitting ? SPLITTING_TWO_VALUES_BOUND : TWO_VALUES_BOUND;
  const c = await BinaryCluster.start(1, args);
  const kv = c.client();
  const node = [...c.nodes.values()][0];
  await c.leader();
  const redis = new Redis({ port: node.respPort, host: "127.0.0.1" });
  try {
    await kv.put("warm", "up");
    const base = peakMiB(c, node.id);
    const value = new Uint8Array(100 * MiB).map((_, i) => (i * 7) & 0xff);
    const t0 = performance.now();
    await kv.put("pb-100", value);
    const got = await kv.get("pb-100");
    assert.ok(got !== undefined && Buffer.compare(got, value) === 0);
    const pbMs = performance.now() - t0;
    const afterPb = peakMiB(c, node.id);
    const respBase = resetPeakMiB(c, node.id);
    const t1 = performance.now();
    assert.equal(await redis.set("resp-100", Buffer.from(value)), "OK");
    const back = await redis.getBuffer("resp-100");
    assert.ok(back !== null && Buffer.compare(back, Buffer.from(value)) === 0);
    const respMs = performance.now() - t1;
    const peak = peakMiB(c, node.id);
    console.log(
      `100 MiB ${args.join(" ") || "(default: splitting)"}: protobuf ${pbMs.toFixed(0)} ms (peak ${
        afterPb.toFixed(0)
      } MiB above a base ` +
        `of ${base.toFixed(0)}), RESP ${respMs.toFixed(0)} ms (peak ${peak.toFixed(0)} MiB ` +
        `above a base of ${respBase.toFixed(0)})`,
    );
    const top = Math.max(afterPb, peak);
    assert.ok(
      top <= base + both * 100,
      `both values: peak ${top.toFixed(0)} MiB exceeds the idle base ${base.toFixed(0)} + ` +
        `${both} × 100 MiB`,
    );
    const phases = [
      { what: "protobuf", from: base, top: afterPb },
      { what: "RESP", from: respBase, top: peak },
    ];
    for (const { what, from, top } of phases) {
      assert.ok(
        top <= from + perValue * 100,
        `${what}: peak ${top.toFixed(0)} MiB exceeds base ${from.toFixed(0)} + ` +
          `${perValue} × 100 MiB`,
      );
    }
  } finally {
    redis.disconnect();
    kv.close();
    await c.stop();
  }
}

async function replicate(args: string[]): Promise<void> {
  const c = await BinaryCluster.start(3, args);
  // This case checks memory, not speed: on a loaded machine (CI shares two cores with other
  // suites) three nodes writing and fsyncing 100 MiB each can pass the default deadline.
  const kv = c.client({ deadlineMs: 90_000, attemptTimeoutMs: 60_000 });
  try {
    await c.leader();
    await kv.put("warm", "up");
    const nodes = [...c.nodes.values()];
    const base = nodes.map((n) => peakMiB(c, n.id));
    const value = new Uint8Array(100 * MiB).map((_, i) => (i * 13) & 0xff);
    const t0 = performance.now();
    await kv.put("pb-100", value);
    const putMs = performance.now() - t0;
    for (const n of nodes) {
      const reader = c.client({ deadlineMs: 90_000, attemptTimeoutMs: 60_000 }, [n.id]);
      try {
        const got = await reader.get("pb-100").catch((err) => {
          console.log(`node ${n.id}'s read failed; the nodes' logs:\n${c.logs()}`);
          throw err;
        });
        assert.ok(got !== undefined && Buffer.compare(got, value) === 0, `node ${n.id} has it`);
      } finally {
        reader.close();
      }
    }
    const peaks = nodes.map((n) => peakMiB(c, n.id));
    console.log(
      `100 MiB on 3 nodes ${args.join(" ") || "(default: splitting)"}: put ${
        putMs.toFixed(0)
      } ms; peaks ` +
        nodes.map((n, i) => `node ${n.id} ${peaks[i].toFixed(0)} MiB (base ${base[i].toFixed(0)})`)
          .join(", "),
    );
    const bound = args.includes("--region-split-bytes") ? COPIES_BOUND : SPLITTING_CLUSTER_BOUND;
    for (let i = 0; i < nodes.length; i++) {
      assert.ok(
        peaks[i] <= base[i] + bound * 100,
        `node ${nodes[i].id}: peak ${peaks[i].toFixed(0)} MiB exceeds base ${
          base[i].toFixed(0)
        } + ${bound} × 100 MiB`,
      );
    }
  } finally {
    kv.close();
    await c.stop();
  }
}
