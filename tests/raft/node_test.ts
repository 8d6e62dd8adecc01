import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import { syncHookFs } from "../helpers/sync_hook_fs.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import { STALL_TICKS_COUNTED } from "../../src/raft/ticker.ts";
import { RaftNode, type StateMachine } from "../../src/raft/node.ts";
import { type Entry, EntryType, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { RAFT_LOG_COMPACT_BYTES } from "../../src/limits.ts";

/** While set, fsyncs wait for it (a slow disk the test controls). */
let syncGate: Promise<void> | undefined;

/** Wraps a file system so every fsync is logged. */
function loggingFs(inner: FileSystem, log: string[]): FileSystem {
  return syncHookFs(inner, async (sync) => {
    await syncGate;
    await sync();
    log.push("sync");
  });
}

interface MakeOpts {
  inboxMax?: number;
  snapshotBytes?: number;
  snapshotEntries?: number;
}

async function makeNode(voters: number[], log: string[], opts: MakeOpts = {}) {
  const clock = new SimClock();
  const fs = loggingFs(new SimFileSystem(createPrng(1), clock), log);
  const store = await LogStore.open(fs, "raft");
  const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  await store.save({
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
    mustSync: true,
  });
  log.length = 0;
  const sent: Message[] = [];
  const applied: Entry[] = [];
  const sm: StateMachine = {
    apply: (ents) => {
      log.push(`apply ${ents.length}`);
      applied.push(...ents);
    },
    restore: () => {},
    image: () => utf8(`image of ${applied.length} entries`),
  };
  const node = new RaftNode({
    raft: { id: 1, electionTicks: 10, heartbeatTicks: 1, prng: createPrng(7) },
    logStore: store,
    transport: {
      send: (msgs) => {
        log.push(`send ${msgs.length}`);
        sent.push(...msgs);
      },
    },
    stateMachine: sm,
    clock,
    tickMs: 10,
    inboxMax: opts.inboxMax,
    snapshotBytes: opts.snapshotBytes,
    snapshotEntries: opts.snapshotEntries,
  });
  return { node, sent, applied, clock, store };
}

test("node: persists before sending; entries durable earlier apply without waiting", async () => {
  const log: string[] = [];
  const { node, sent } = await makeNode([1, 2, 3], log);
  node.rawNode.campaign();
  await node.runOnce();
  // The vote for itself is durable before any vote request leaves.
  assert.deepEqual(log, ["sync", "send 2"]);
  log.length = 0;
  const term = node.rawNode.term;
  for (const from of [2, 3]) {
    node.receive({ type: MessageType.VoteResp, from, to: 1, term, reject: false });
  }
  await node.runOnce();
  assert.ok(node.rawNode.isLeader);
  const apps = sent.filter((m) => m.type === MessageType.App);
  assert.equal(apps.length, 2);
  // A leader's appends leave before its own fsync (Raft thesis §10.2.1).
  assert.deepEqual(log, ["send 2", "sync"]);
  log.length = 0;
  for (const from of [2, 3]) {
    node.receive({
      type: MessageType.AppResp,
      from,
      to: 1,
      term,
      index: 2,
      reject: false,
      rejectHint: 0,
      logTerm: 0,
    });
  }
  assert.ok(node.rawNode.propose(utf8("x")).ok);
  let release = () => {};
  syncGate = new Promise((resolve) => release = resolve);
  const running = node.runOnce();
  for (let i = 0; i < 20; i++) await Promise.resolve();
  // Entry 2 was made durable by an earlier Ready, so it applies while this
  // Ready's fsync (of entry 3) is still under way; the appends left first.
  assert.deepEqual(log, ["send 2", "apply 1"]);
  release();
  syncGate = undefined;
  await running;
  assert.equal(log[2], "sync");
});

test("node: a follower acknowledges appends only after its fsync", async () => {
  const log: string[] = [];
  const { node, sent } = await makeNode([1, 2, 3], log);
  node.receive({
    type: MessageType.App,
    from: 2,
    to: 1,
    term: 2,
    index: 1,
    logTerm: 1,
    commit: 1,
    entries: [{ term: 2, index: 2, type: EntryType.Normal, data: utf8("y") }],
  });
  await node.runOnce();
  assert.deepEqual(log, ["sync", "send 1"]);
  const ack = sent.find((m) => m.type === MessageType.AppResp);
  assert.ok(ack !== undefined && ack.type === MessageType.AppResp && !ack.reject);
});

test("node: an entry committed in the Ready that persists it applies only after the fsync", async () => {
  const log: string[] = [];
  const { node } = await makeNode([1], log);
  node.rawNode.campaign();
  await node.runOnce();
  log.length = 0;
  assert.ok(node.rawNode.propose(utf8("x")).ok);
  await node.runOnce();
  const sync = log.indexOf("sync");
  const applyX = log.findIndex((l) => l.startsWith("apply"));
  assert.ok(sync >= 0 && applyX > sync, log.join(", "));
});

test("node: group commit — many proposals, one fsync", async () => {
  const log: string[] = [];
  const { node, applied } = await makeNode([1], log);
  node.rawNode.campaign();
  await node.runOnce();
  log.length = 0;
  for (let i = 0; i < 100; i++) assert.ok(node.rawNode.propose(utf8(`p${i}`)).ok);
  await node.runOnce();
  assert.deepEqual(log.filter((l) => l === "sync"), ["sync"]);
  assert.equal(applied.filter((e) => e.data.length > 0).length, 100);
});

test("node: the inbox is bounded and counts what it drops", async () => {
  const { node } = await makeNode([1, 2, 3], [], { inboxMax: 4 });
  let accepted = 0;
  for (let i = 0; i < 10; i++) {
    if (
      node.receive({
        type: MessageType.Heartbeat,
        from: 2,
        to: 1,
        term: 5,
        commit: 0,
        context: new Uint8Array(0),
        sentTick: 0,
      })
    ) accepted++;
  }
  assert.equal(accepted, 4);
  assert.equal(node.droppedMessages, 6);
});

test("node: start() turns clock time into ticks and elects a single node", async () => {
  const { node, clock } = await makeNode([1], []);
  node.start();
  for (let i = 0; i < 40 && !node.rawNode.isLeader; i++) {
    clock.advance(10);
    await new Promise((r) => setTimeout(r, 0));
  }
  node.stop();
  assert.ok(node.rawNode.isLeader);
});

test("node: a committed proposal is in the durable log store after runOnce", async () => {
  const log: string[] = [];
  const { node, store } = await makeNode([1], log);
  node.rawNode.campaign();
  await node.runOnce();
  node.rawNode.propose(utf8("x"));
  await node.runOnce();
  assert.equal(store.storage.lastIndex(), 3);
  assert.equal(store.storage.hardState.commit, 3);
});

test("node: the log is compacted once enough payload bytes were applied", async () => {
  const { node, store } = await makeNode([1], [], { snapshotBytes: 100 });
  node.rawNode.campaign();
  await node.runOnce();
  for (let i = 0; i < 30; i++) {
    node.rawNode.propose(utf8("0123456789"));
    await node.runOnce();
  }
  const snap = store.storage.snapshot().metadata.index;
  assert.ok(snap > 10, `snapshot at ${snap}`);
  assert.equal(store.storage.firstIndex(), snap + 1);
});

test("node: with only an entry threshold, RAFT_LOG_COMPACT_BYTES of payload compacts too", async () => {
  const { node, store } = await makeNode([1], [], { snapshotEntries: 1_000_000 });
  node.rawNode.campaign();
  await node.runOnce();
  const chunk = new Uint8Array(4 << 20);
  const perEntry = chunk.length;
  let proposed = 0;
  while (store.storage.snapshot().metadata.index <= 1 && proposed < 40) {
    assert.ok(node.rawNode.propose(chunk).ok);
    proposed++;
    await node.runOnce();
  }
  const needed = Math.ceil(RAFT_LOG_COMPACT_BYTES / perEntry);
  assert.ok(store.storage.snapshot().metadata.index > 1, "compacted by bytes");
  assert.ok(
    proposed >= needed,
    `compacted after ${proposed} entries of 4 MiB, not before ${needed}`,
  );
});

test("node: requests first catch up on ticks missed in a stall: every one if it leads", async () => {
  const { node, clock } = await makeNode([1], []);
  node.rawNode.campaign();
  await node.runOnce();
  assert.ok(node.rawNode.isLeader);
  node.start();
  node.stop(); // the timer no longer fires: as if the process were paused
  const raft = RawNode.innerRaftForTesting(node.rawNode);
  const before = raft.tickCount;
  clock.advance(1000);
  assert.equal(raft.tickCount, before);
  node.readIndex(utf8("r"));
  assert.equal(raft.tickCount, before + 100, "its lease sees the whole stall");
});

test("node: a follower counts only the first ticks of a stall toward its election", async () => {
  const { node, clock } = await makeNode([1, 2, 3], []);
  node.start();
  node.stop(); // paused for ten election timeouts
  const raft = RawNode.innerRaftForTesting(node.rawNode);
  const before = raft.tickCount, term = node.rawNode.term;
  clock.advance(1000);
  node.readIndex(utf8("r"));
  assert.equal(raft.tickCount, before + STALL_TICKS_COUNTED);
  assert.equal(node.rawNode.term, term, "no campaign before it reads what its leader sent");
});

test("node: compactNow compacts an idle node's log at its applied index", async () => {
  const log: string[] = [];
  const { node, store } = await makeNode([1], log);
  node.rawNode.campaign();
  await node.runOnce();
  for (let i = 0; i < 5; i++) assert.ok(node.rawNode.propose(utf8(`c${i}`)).ok);
  await node.runOnce();
  const applied = node.rawNode.appliedIndex;
  const index = await node.compactNow();
  assert.equal(index, applied);
  assert.equal(store.storage.snapshot().metadata.index, applied);
});
