/**
 * Membership end to end on real processes of the compiled binary, under a
 * steady write load, on nodes that do not split (every member a voter): add a
 * 4th and a 5th node (each joins as a learner, catches up by snapshot, is
 * promoted through joint consensus), remove a follower, remove the leader, and
 * replace a dead node. Prints the longest write stall during each change; every
 * acknowledged write must survive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BinaryCluster } from "./binary_cluster.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const WRITERS = 4;
const T0 = Date.now();

/** Writers that record every acknowledged key and the times of acknowledgements. */
class WriteLoad {
  readonly acked = new Map<string, string>();
  #lastAck = Date.now();
  #longestGap = 0;
  #stopped = false;
  #done: Promise<void>[] = [];
  errors = 0;
  readonly errorSamples: string[] = [];

  constructor(readonly connect: () => TinyKvClient) {}

  start(): void {
    for (let w = 0; w < WRITERS; w++) this.#done.push(this.#writer(w));
  }

  async #writer(w: number): Promise<void> {
    let client = this.connect();
    for (let i = 0; !this.#stopped && i < 100_000; i++) {
      const key = `w${w}-${i}`;
      try {
        await client.put(key, `v${i}`);
        this.acked.set(key, `v${i}`);
        const now = Date.now();
        this.#longestGap = Math.max(this.#longestGap, now - this.#lastAck);
        this.#lastAck = now;
      } catch (err) {
        this.errors++;
        const at = `${Date.now() - T0} ms`;
        if (this.errorSamples.length < 5) this.errorSamples.push(`${at}: ${String(err)}`);
        client.close(); // endpoints change as members come and go
        client = this.connect();
      }
    }
    client.close();
  }

  /** The longest time without any acknowledged write since the last call. */
  takeLongestGap(): number {
    const gap = Math.max(this.#longestGap, Date.now() - this.#lastAck);
    this.#longestGap = 0;
    return gap;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#done);
  }
}

/** Writers wait up to 20 s per operation, 2 s per attempt. */
const TIMEOUTS = { deadlineMs: 20_000, attemptTimeoutMs: 2000 };

async function members(c: BinaryCluster): Promise<string> {
  const r = await c.cli("member", "list");
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test(
  "membership e2e: add two nodes, remove a follower and the leader, replace a dead node — under load",
  { timeout: 240_000, skip: BINARY_ONLY_SKIP },
  async () => {
    // One region (`--region-split-bytes 0`): every member votes, as in etcd. On nodes that split,
    // region 1 keeps --replicas voters and later members are learners (regions_e2e_test.ts).
    const c = await BinaryCluster.start(3, ["--region-split-bytes", "0"]);
    const load = new WriteLoad(() => c.client(TIMEOUTS));
    const stalls: [string, number][] = [];
    const step = async (name: string, run: () => Promise<void>) => {
      load.takeLongestGap();
      const t0 = Date.now();
      await run();
      await new Promise((r) => setTimeout(r, 500)); // writes resume after the change
      stalls.push([name, load.takeLongestGap()]);
      console.log(
        `membership e2e: ${name} took ${Date.now() - t0} ms (ended at ${Date.now() - T0})`,
      );
    };
    try {
      await c.leader();
      load.start();
      await new Promise((r) => setTimeout(r, 1000));
      for (const id of [4, 5]) {
        await step(`add node ${id}`, async () => {
          const address = await c.startJoining(id, ["--read-mode", "linearizable"]);
          const r = await c.cli("member", "add", String(id), address);
          assert.equal(r.code, 0, `${r.stderr}\n${c.logs()}`);
          assert.match(
            r.stdout,
            new RegExp(`^${id} +${address.replace(/\./g, "\\.")} +voter`, "m"),
          );
        });
      }
      const leader = await c.leader();
      const follower = [1, 2, 3].find((id) => id !== leader) ?? 0;
      await step(`remove follower ${follower}`, async () => {
        const r = await c.cli("member", "remove", String(follower));
        assert.equal(r.code, 0, r.stderr);
        await c.kill(follower, "SIGTERM");
        c.nodes.delete(follower);
      });
      await step(`remove leader ${leader}`, async () => {
        const r = await c.cli("member", "remove", String(leader));
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout, new RegExp(`^${leader} `, "m"));
        await c.kill(leader, "SIGTERM");
        c.nodes.delete(leader);
      });
      // Hand leadership to node 5 (a joined node), then replace a dead node: kill -9 the
      // last original voter, remove it, add node 6 — whose --peers lists only original
      // nodes, so it learns where the leader is from the leader's Hello.
      const moved = await c.cli("transfer-leader", "5");
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal(await c.leader(), 5);
      const dead = [1, 2, 3].find((id) => c.nodes.has(id)) ?? 0;
      await step(`replace dead node ${dead} with node 6`, async () => {
        await c.kill(dead, "SIGKILL");
        c.nodes.delete(dead);
        const removed = await c.cli("member", "remove", String(dead));
        assert.equal(removed.code, 0, `${removed.stderr}\n${c.logs()}`);
        const address = await c.startJoining(6, ["--read-mode", "linearizable"]);
        const added = await c.cli("member", "add", "6", address);
        assert.equal(added.code, 0, `${added.stderr}\n${c.logs()}`);
      });
      await load.stop();
      const list = await members(c);
      const ids = [...list.matchAll(/^(\d+) /gm)].map((m) => Number(m[1])).sort();
      assert.deepEqual(ids, [...c.nodes.keys()].sort());
      assert.doesNotMatch(list, /learner/);
      // Every acknowledged write is readable through every remaining node.
      for (const n of c.nodes.values()) {
        const client = c.client(TIMEOUTS, [n.id]);
        try {
          const keys = [...load.acked.keys()];
          for (let i = 0; i < keys.length; i += 97) {
            const v = await client.get(keys[i], { consistency: "linearizable" });
            assert.equal(v === undefined ? undefined : fromUtf8(v), load.acked.get(keys[i]));
          }
          const last = keys[keys.length - 1];
          const v = await client.get(last);
          assert.equal(v === undefined ? undefined : fromUtf8(v), load.acked.get(last));
        } finally {
          client.close();
        }
      }
      console.log(
        `membership e2e: ${load.acked.size} writes acknowledged, ${load.errors} retried errors; ` +
          `longest write stall per change: ` +
          stalls.map(([name, ms]) => `${name} ${ms} ms`).join(", ") +
          (load.errorSamples.length > 0 ? `; errors: ${load.errorSamples.join(" | ")}` : ""),
      );
      assert.ok(load.acked.size > 0);
      // Writers carried on through every change (an error means one gave up after 20 s).
      assert.equal(load.errors, 0, load.errorSamples.join("\n"));
    } finally {
      await load.stop();
      await c.stop();
    }
  },
);

/** Whether `status` shows node `id` with nothing left to apply (a learner caught up). */
async function caughtUp(c: BinaryCluster, id: number): Promise<boolean> {
  const r = await c.cli("status", "--json");
  if (r.code !== 0) return false;
  const s = JSON.parse(r.stdout) as { members?: { id: number; lag: number | null }[] };
  return s.members?.find((m) => m.id === id)?.lag === 0;
}

test(
  "membership e2e on nodes that split: a member past --replicas is a learner; removing a voter " +
    "promotes one in the same change",
  { timeout: 120_000, skip: BINARY_ONLY_SKIP },
  async () => {
    const c = await BinaryCluster.start(3); // the binary's default: nodes split, --replicas 3
    try {
      await c.leader();
      const address = await c.startJoining(4);
      const added = await c.cli("member", "add", "4", address);
      assert.equal(added.code, 0, `${added.stderr}\n${c.logs()}`);
      // Region 1 has its three voters: node 4 is a member as a learner (and `add` returns).
      assert.match(added.stdout, new RegExp(`^4 +${address.replace(/\./g, "\\.")} +learner`, "m"));
      assert.equal([...added.stdout.matchAll(/ voter$/gm)].length, 3, added.stdout);
      // Removing a voter takes a caught-up learner's promotion into the same joint change, so the
      // membership printed as the command returns has three voters again, node 4 among them.
      for (let i = 0; i < 100 && !await caughtUp(c, 4); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const leader = await c.leader();
      const follower = [1, 2, 3].find((id) => id !== leader) ?? 0;
      const removed = await c.cli("member", "remove", String(follower));
      assert.equal(removed.code, 0, `${removed.stderr}\n${c.logs()}`);
      assert.doesNotMatch(removed.stdout, new RegExp(`^${follower} `, "m"));
      assert.match(removed.stdout, /^4 +\S+ +voter$/m);
      assert.equal([...removed.stdout.matchAll(/ voter$/gm)].length, 3, removed.stdout);
    } finally {
      await c.stop();
    }
  },
);
