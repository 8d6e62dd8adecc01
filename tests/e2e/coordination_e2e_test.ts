/**
 * The coordination API with the compiled binary, three real processes on loopback (issue 11's
 * acceptance): `tinykv watch PREFIX --json` on a follower receives every change once and in
 * order while the leader is killed (SIGKILL) and restarted and writes go on; a lock
 * (examples/lock.ts) held through keep-alives survives a leader failover, and goes to the next
 * contender once its holder is killed and its session expired, not before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { Mutex } from "../../examples/lock.ts";
import { Session } from "../../examples/session.ts";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The binary's longest election timeout (docs/server.md: drawn from 1–2 s). */
const ELECTION_MAX_MS = 2000;
const WRITES = 150;

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  for (const start = Date.now(); !check();) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function client(c: BinaryCluster) {
  return c.client({ deadlineMs: 20_000, attemptTimeoutMs: 1000 });
}

async function followerOf(c: BinaryCluster): Promise<number> {
  const leader = await c.leader();
  return [...c.nodes.keys()].find((id) => id !== leader) ?? 0;
}

interface WatchLine {
  type: string;
  key: string;
  value: string;
  revision: number;
}

test("binary: a watcher on a follower gets every change once, in order, across a leader kill", {
  timeout: 120_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  const c = await BinaryCluster.start(3);
  const kv = client(c);
  const watcher = { proc: undefined as ReturnType<typeof spawn> | undefined, out: "", err: "" };
  try {
    const follower = await followerOf(c);
    const start = await kv.put("w/start", "0");
    const node = c.nodes.get(follower);
    const args = ["watch", "w/", "--json", "--from-revision", String(start)];
    args.push("--endpoints", `127.0.0.1:${node?.kvPort}`);
    const proc = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
    watcher.proc = proc;
    proc.stdout?.on("data", (d: Uint8Array) => watcher.out += new TextDecoder().decode(d));
    proc.stderr?.on("data", (d: Uint8Array) => watcher.err += new TextDecoder().decode(d));
    const expected: WatchLine[] = [{ type: "put", key: "w/start", value: "0", revision: start }];
    let killed = 0;
    for (let i = 1; i <= WRITES; i++) {
      if (i === 50) {
        killed = await c.leader();
        await c.kill(killed, "SIGKILL");
      }
      if (i === 100) c.spawn(killed);
      const key = `w/${String(i).padStart(4, "0")}`;
      if (i % 10 === 0) {
        // Some deletes too: a txn answers the revision it wrote at.
        const prev = `w/${String(i - 1).padStart(4, "0")}`;
        const r = await kv.txn({ success: [{ delete: { key: prev } }] });
        expected.push({ type: "delete", key: prev, value: "", revision: r.revision });
      }
      expected.push({ type: "put", key, value: String(i), revision: await kv.put(key, String(i)) });
      await sleep(10);
    }
    const lines = () => watcher.out.split("\n").filter((l) => l.length > 0);
    await waitUntil("every change watched", () => lines().length >= expected.length, 30_000)
      .catch((err) => {
        throw new Error(`${err}\nwatcher stderr: ${watcher.err}\n${c.logs()}`);
      });
    await sleep(300); // nothing more (a repeat) may follow
    const got = lines().map((l) => JSON.parse(l) as WatchLine);
    assert.deepEqual(got, expected);
    assert.equal(watcher.proc.exitCode, null, "the watcher is still running");
    assert.deepEqual(c.unexpectedExits, []);
  } finally {
    if (watcher.proc?.pid !== undefined && watcher.proc.exitCode === null) {
      process.kill(watcher.proc.pid, "SIGKILL");
    }
    kv.close();
    await c.stop();
  }
});

test("binary: a kept-alive lock survives a leader kill; a killed holder's lock passes on", {
  timeout: 120_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  const c = await BinaryCluster.start(3);
  const holderClient = client(c);
  const waiterClient = client(c);
  try {
    await c.leader();
    // 3 s: the binary's minimum TTL (3 × its 1 s election timeout, docs/coordination.md).
    const holder = await Session.open(holderClient, 3);
    const waiter = await Session.open(waiterClient, 3);
    const held = new Mutex(holder, "locks/e2e");
    await held.lock({ signal: AbortSignal.timeout(20_000) });
    const heldRevision = held.revision;
    const waiting = new Mutex(waiter, "locks/e2e");
    let waiterLocked = false;
    const waiterLock = waiting.lock({ signal: AbortSignal.timeout(60_000) }).then(() => {
      waiterLocked = true;
    });

    const oldLeader = await c.leader();
    await c.kill(oldLeader, "SIGKILL");
    await c.leader();
    await sleep(2 * holder.ttlSeconds * 1000 + ELECTION_MAX_MS);
    assert.equal(waiterLocked, false, "the waiter got a lock that was kept alive");
    assert.equal(holder.keepAlive.lost, undefined);
    assert.equal((await waiterClient.getEntry(held.key))?.lease, holder.leaseId);
    c.spawn(oldLeader);

    // The holder's process dies: its keep-alives stop and its connections close.
    const killedAt = Date.now();
    holder.abandon();
    holderClient.close();
    await waiterLock;
    const after = Date.now() - killedAt;
    const ttlMs = holder.ttlSeconds * 1000;
    assert.ok(after >= (ttlMs * 2) / 3 - 100, `released ${after} ms after the kill: too early`);
    // No upper bound: how soon is timing, which a loaded machine stretches (the wait is bounded).
    assert.ok(waiting.revision > heldRevision);
    assert.equal(await waiterClient.getEntry(held.key), undefined);
    await waiting.unlock();
    await waiter.close();
    assert.deepEqual(c.unexpectedExits, []);
  } finally {
    holderClient.close();
    waiterClient.close();
    await c.stop();
  }
});
