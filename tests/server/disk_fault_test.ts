/**
 * Corrupted state on one node of a real in-process cluster (loopback sockets,
 * real files): the node refuses with CORRUPTION, reports it, stops voting,
 * the others keep serving, and the rebuild procedure of
 * docs/operations-disk.md brings it back with every acknowledged write.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { startFaultyServer } from "../../src/server/faulty_server.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import type { NodeService } from "../../src/server/node/node_service.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { readAllRecords } from "../../src/util/record_format.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeKeys(c: TestCluster, ids: number[], from: number, to: number, acked: string[]) {
  const client = c.client(ids);
  for (let i = from; i < to; i += 10) {
    const keys = Array.from({ length: Math.min(10, to - i) }, (_, j) => `key-${i + j}`);
    await Promise.all(keys.map((k) => client.put(k, `value-of-${k}`)));
    acked.push(...keys);
  }
}

function node(c: TestCluster, id: number): NodeService {
  const n = c.servers.get(id)?.node;
  assert.ok(n !== undefined, `node ${id} is running`);
  return n;
}

/** Waits (bounded) until `id` has applied what the leader has committed. */
async function caughtUp(c: TestCluster, id: number, leader: number): Promise<void> {
  for (let i = 0; i < 750; i++) {
    const target = node(c, leader).status().commitIndex;
    if (node(c, id).status().appliedIndex >= target && !node(c, id).status().rebuilding) return;
    await sleep(20);
  }
  throw new Error(`node ${id} did not catch up within 15 s`);
}

async function assertAllReadable(c: TestCluster, id: number, acked: string[]): Promise<void> {
  for (const k of acked) {
    const v = (await node(c, id).get(utf8(k), "serializable")).state;
    assert.equal(v === undefined ? undefined : fromUtf8(v.value), `value-of-${k}`, `${k} on ${id}`);
  }
}

/** Deletes everything in a node's data directory except IDENTITY (the rebuild procedure). */
function wipeKeepingIdentity(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name !== "IDENTITY") fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function flipByte(file: string, offset: number): void {
  const fd = fs.openSync(file, "r+");
  const b = new Uint8Array(1);
  fs.readSync(fd, b, 0, 1, offset);
  b[0] ^= 0x10;
  fs.writeSync(fd, b, 0, 1, offset);
  fs.closeSync(fd);
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof ServiceError) return err.code;
    throw err;
  }
}

/** No leader appears among `ids` for `ms` milliseconds (their terms may move). */
async function noLeaderFor(c: TestCluster, ids: number[], ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (ids.some((id) => node(c, id).status().role === "leader")) return false;
    await sleep(50);
  }
  return true;
}

test("corrupted SSTable on a follower: CORRUPTION, no vote, cluster serves, rebuild", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const acked: string[] = [];
    await writeKeys(c, [1, 2, 3], 0, 200, acked);
    const leader = await c.leader();
    const [victim, other] = [1, 2, 3].filter((id) => id !== leader);
    await caughtUp(c, victim, leader);
    await node(c, victim).snapshot(); // flushes the engine: the data is in SSTables now
    const kvDir = path.join(c.dirs.get(victim) ?? "", "kv");
    const tables = fs.readdirSync(kvDir).filter((n) => n.endsWith(".sst"));
    assert.ok(tables.length > 0);
    for (const t of tables) {
      const file = path.join(kvDir, t);
      const size = fs.statSync(file).size;
      for (const at of [0.2, 0.4, 0.6, 0.8]) flipByte(file, Math.floor(size * at));
    }
    const codes = new Set<ErrorCode | "ok">();
    for (const k of acked) codes.add(await codeOf(node(c, victim).get(utf8(k), "serializable")));
    assert.ok(codes.has(ErrorCode.CORRUPTION), "a read of the damaged block says CORRUPTION");
    const v = node(c, victim);
    assert.equal(await codeOf(v.get(utf8("key-1"), "serializable")), ErrorCode.CORRUPTION);
    assert.equal(
      await codeOf(v.write({ body: { case: "delete", value: { key: utf8("x") } } })),
      ErrorCode.CORRUPTION,
    );
    const fault = v.status().fault as { kind: string; file: string; offset: number };
    assert.equal(fault.kind, "corruption");
    assert.match(fault.file, /\.sst$/);
    assert.equal(typeof fault.offset, "number");
    assert.equal(v.healthy(), false);
    const http = await fetch(`http://127.0.0.1:${c.servers.get(victim)?.httpPort}/health`);
    assert.equal(http.status, 503);
    await http.body?.cancel();
    assert.notEqual(v.node.failure, undefined, "Raft is halted on this node");
    // The others keep serving.
    await writeKeys(c, [leader, other], 200, 240, acked);
    // It does not vote: with the leader gone, the healthy node cannot win an election.
    const term = v.status().term;
    await c.stop(leader);
    assert.ok(await noLeaderFor(c, [other], 2000), "no leader without the faulty node's vote");
    assert.equal(v.status().term, term, "the faulty node took no part");
    await c.start(leader);
    const newLeader = await c.leader();
    await writeKeys(c, [leader, other], 240, 260, acked);
    // Rebuild: stop, wipe all but IDENTITY, start; it catches up before it votes.
    await c.stop(victim);
    wipeKeepingIdentity(c.dirs.get(victim) ?? "");
    await c.start(victim);
    await caughtUp(c, victim, await c.leader());
    assert.equal(node(c, victim).status().fault, null);
    assert.ok(newLeader > 0);
    await assertAllReadable(c, victim, acked);
  } finally {
    await c.close();
  }
});

test("corrupted Raft log segment: the node starts faulty, takes no part, and is rebuilt", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const acked: string[] = [];
    await writeKeys(c, [1, 2, 3], 0, 100, acked);
    const leader = await c.leader();
    const [victim, other] = [1, 2, 3].filter((id) => id !== leader);
    await caughtUp(c, victim, leader);
    await c.stop(victim);
    const raftDir = path.join(c.dirs.get(victim) ?? "", "raftlog");
    const segs = fs.readdirSync(raftDir).filter((n) => n.endsWith(".seg")).sort();
    const seg = path.join(raftDir, segs[segs.length - 1]);
    // Mid-records (not in the zeros ahead of them): not a torn tail.
    const records = readAllRecords(new Uint8Array(fs.readFileSync(seg)), seg).validBytes;
    flipByte(seg, Math.floor(records / 2));
    await assert.rejects(c.start(victim), CorruptionError);
    const config = {
      id: victim,
      peers: c.peers,
      dataDir: c.dirs.get(victim) ?? "",
      httpPort: 0,
      respPort: c.respPorts.get(victim),
    };
    const faulty = await startFaultyServer(getPlatform(), config, await corruptionOf(config));
    try {
      const fault = faulty.status().fault as { kind: string; file: string };
      assert.equal(fault.kind, "corruption");
      assert.match(fault.file, /log-\d+\.seg$/);
      const health = await fetch(`http://127.0.0.1:${faulty.httpPort}/health`);
      assert.equal(health.status, 503);
      await health.body?.cancel();
      const client = c.client([victim]);
      await assert.rejects(client.get("key-1"), (err: Error & { code?: string }) => {
        assert.equal(err.code, "CORRUPTION");
        return true;
      });
      await writeKeys(c, [leader, other], 100, 140, acked);
    } finally {
      await faulty.close();
    }
    wipeKeepingIdentity(c.dirs.get(victim) ?? "");
    await c.start(victim);
    // This leader remembers what the node acknowledged before the wipe and will not
    // probe below it (as in etcd): one leadership move gives a fresh probe.
    await node(c, leader).transferLeader(other);
    await caughtUp(c, victim, other);
    await assertAllReadable(c, victim, acked);
  } finally {
    await c.close();
  }
});

/** The CorruptionError that opening `config`'s node runs into. */
async function corruptionOf(config: { dataDir: string }): Promise<CorruptionError> {
  const { MultiLogStore } = await import("../../src/raft/multi_log_store.ts");
  try {
    await MultiLogStore.open(getPlatform().fs, `${config.dataDir}/raftlog`);
  } catch (err) {
    if (err instanceof CorruptionError) return err;
    throw err;
  }
  throw new Error("expected corruption");
}

test("a rebuilt node does not vote before it has caught up from a leader", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const acked: string[] = [];
    await writeKeys(c, [1, 2, 3], 0, 60, acked);
    const leader = await c.leader();
    const [victim, other] = [1, 2, 3].filter((id) => id !== leader);
    await caughtUp(c, victim, leader);
    await c.stop(leader);
    await c.stop(other);
    await c.stop(victim);
    wipeKeepingIdentity(c.dirs.get(victim) ?? "");
    await c.start(victim);
    assert.equal(node(c, victim).status().rebuilding, true);
    await c.start(other);
    // `other` has the data and needs one more vote: the empty node must not give it.
    assert.ok(await noLeaderFor(c, [victim, other], 2000), "the rebuilding node gave no vote");
    assert.equal(node(c, victim).status().rebuilding, true);
    await c.start(leader);
    const now = await c.leader();
    await caughtUp(c, victim, now);
    assert.equal(node(c, victim).status().rebuilding, false);
    await assertAllReadable(c, victim, acked);
    // Caught up, it votes again; restarting keeps it a normal member (the marker is gone).
    assert.equal(fs.existsSync(path.join(c.dirs.get(victim) ?? "", "REBUILDING")), false);
  } finally {
    await c.close();
  }
});
