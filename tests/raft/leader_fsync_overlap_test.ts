/**
 * The leader's own fsync overlapped with replication (Raft thesis §10.2.1;
 * src/raft/acks_while_saving.ts, core/self_ack.ts): while the leader's Ready is
 * being fsynced it steps its followers' acknowledgements, but counts its own
 * log toward a commit only once that fsync completed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import { syncHookFs } from "../helpers/sync_hook_fs.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import { bootstrapStorage } from "../../src/raft/core/storage.ts";
import { type Entry, type Message, MessageType } from "../../src/raft/core/messages.ts";

/** A disk whose fsyncs wait while a gate is closed; `log` records sends, syncs and applies. */
class GatedDisk {
  readonly sim = new SimFileSystem(createPrng(1), new SimClock());
  readonly log: string[] = [];
  #gate: Promise<void> | undefined;
  #open = () => {};

  close(): void {
    this.#gate = new Promise((resolve) => this.#open = resolve);
  }

  open(): void {
    this.#gate = undefined;
    this.#open();
  }

  fs(): FileSystem {
    return syncHookFs(this.sim, async (sync) => {
      await this.#gate;
      await sync();
      this.log.push("sync");
    });
  }
}

const CONF = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};

/** Node 1 of {1, 2, 3}, elected leader in term 2 with its empty entry (index 2) committed. */
async function electedLeader() {
  const disk = new GatedDisk();
  const store = await LogStore.open(disk.fs(), "raft");
  await store.save({
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: CONF }, data: new Uint8Array(0) },
    mustSync: true,
  });
  const sent: Message[] = [];
  const applied: Entry[] = [];
  const node = new RaftNode({
    raft: { id: 1, electionTicks: 10, heartbeatTicks: 1, prng: createPrng(7) },
    logStore: store,
    transport: {
      send: (msgs) => {
        disk.log.push(`send ${msgs.map((m) => describe(m)).join(" ")}`);
        sent.push(...msgs);
      },
    },
    stateMachine: {
      apply: (ents) => {
        disk.log.push(`apply ${ents.map((e) => e.index).join(",")}`);
        applied.push(...ents);
      },
      restore: () => {},
    },
  });
  node.rawNode.campaign();
  await node.runOnce();
  const term = node.rawNode.term;
  for (const from of [2, 3]) {
    node.receive({ type: MessageType.VoteResp, from, to: 1, term, reject: false });
  }
  await node.runOnce();
  for (const from of [2, 3]) node.receive(ack(from, term, 2));
  await node.runOnce();
  assert.ok(node.rawNode.isLeader);
  assert.equal(node.rawNode.commitIndex, 2);
  disk.log.length = 0;
  sent.length = 0;
  return { node, disk, sent, applied, term };
}

function ack(from: number, term: number, index: number): Message {
  return {
    type: MessageType.AppResp,
    from,
    to: 1,
    term,
    index,
    reject: false,
    rejectHint: 0,
    logTerm: 0,
  };
}

function describe(m: Message): string {
  return m.type === MessageType.App ? `app(to ${m.to}, commit ${m.commit})` : `type ${m.type}`;
}

/** Lets queued promise callbacks run (bounded). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Proposes one entry (index 3) and starts the Ready that persists it, its fsync held. */
async function proposeWithFsyncHeld(
  node: RaftNode,
  disk: GatedDisk,
): Promise<{ running: Promise<void> }> {
  const p = node.propose(utf8("x"));
  assert.ok(p.ok && !p.forwarded && p.index === 3);
  disk.close();
  const running = node.runOnce();
  await settle();
  assert.deepEqual(disk.log, ["send app(to 2, commit 2) app(to 3, commit 2)"]);
  return { running }; // wrapped: an async function would wait for a returned promise
}

test("overlap: one follower's ack mid-fsync does not commit; the leader's own fsync does", async () => {
  const { node, disk, applied, term } = await electedLeader();
  const { running } = await proposeWithFsyncHeld(node, disk);
  node.receive(ack(2, term, 3));
  await settle();
  // Stepped (node 2's progress moved) but leader + node 2 is a quorum only with the
  // leader's disk, which does not hold entry 3 yet.
  assert.equal(node.rawNode.status().progress.get(2)?.match, 3);
  assert.equal(node.rawNode.commitIndex, 2);
  disk.open();
  await running;
  assert.equal(node.rawNode.commitIndex, 3);
  assert.deepEqual(applied.map((e) => e.index).filter((i) => i === 3), [3]);
  const sync = disk.log.indexOf("sync");
  const apply = disk.log.indexOf("apply 3");
  assert.ok(sync >= 0 && apply > sync, disk.log.join(" | "));
});

test("overlap: a leader that loses power before its fsync never counted its unsynced entry", async () => {
  const { node, disk, sent, term } = await electedLeader();
  await proposeWithFsyncHeld(node, disk);
  node.receive(ack(2, term, 3));
  node.receive({
    type: MessageType.HeartbeatResp,
    from: 3,
    to: 1,
    term,
    context: new Uint8Array(0),
    sentTick: 0,
  });
  await settle();
  assert.equal(node.rawNode.commitIndex, 2);
  // Nothing that left says entry 3 is committed.
  for (const m of sent) if (m.type === MessageType.App) assert.ok(m.commit <= 2, describe(m));
  // Power fails with the fsync still pending: entry 3 is gone from the leader's disk,
  // so counting it would have "committed" an entry held by node 2 alone.
  node.halt("power lost");
  disk.sim.crash("lose");
  const reopened = await LogStore.open(disk.sim, "raft");
  assert.equal(reopened.storage.lastIndex(), 2);
  assert.equal(reopened.storage.hardState.commit <= 2, true);
});

test("overlap: both followers' acks commit mid-fsync; the leader applies only after its own", async () => {
  const { node, disk, applied, term } = await electedLeader();
  const { running } = await proposeWithFsyncHeld(node, disk);
  node.receive(ack(2, term, 3));
  node.receive(ack(3, term, 3));
  await settle();
  // Committed on the followers' disks alone, and they are told before the leader's fsync ends.
  assert.equal(node.rawNode.commitIndex, 3);
  assert.ok(
    disk.log.includes("send app(to 2, commit 3) app(to 3, commit 3)"),
    disk.log.join(" | "),
  );
  assert.ok(!disk.log.includes("sync"));
  assert.equal(applied.some((e) => e.index === 3), false);
  disk.open();
  await running;
  assert.ok(disk.log.indexOf("apply 3") > disk.log.indexOf("sync"), disk.log.join(" | "));
});

test("overlap: a message of a newer term waits for the leader's save", async () => {
  const { node, disk, term } = await electedLeader();
  const { running } = await proposeWithFsyncHeld(node, disk);
  node.receive(ack(2, term + 1, 3));
  await settle();
  assert.ok(node.rawNode.isLeader);
  assert.equal(node.rawNode.term, term);
  disk.open();
  await running;
  assert.equal(node.rawNode.isLeader, false);
  assert.equal(node.rawNode.term, term + 1);
});

function rawNode(voters: number[]) {
  const storage = bootstrapStorage({ ...CONF, voters });
  const rn = new RawNode({
    id: 1,
    electionTicks: 10,
    heartbeatTicks: 1,
    prng: createPrng(3),
    storage,
    selfAckAfterPersist: true,
  });
  return { rn, storage };
}

test("self ack: a lone voter counts its appends at once (nobody learns of the commit early)", () => {
  const { rn } = rawNode([1]);
  rn.campaign();
  assert.ok(rn.isLeader);
  const rd = rn.ready();
  assert.equal(rd.entries.length, 1);
  assert.equal(rn.commitIndex, rd.entries[0].index);
});

test("self ack: with peers the leader counts its own entry only after advance", () => {
  const { rn, storage } = rawNode([1, 2, 3]);
  rn.campaign();
  const vote = rn.ready();
  rn.advance(vote);
  for (const from of [2, 3]) {
    rn.step({ type: MessageType.VoteResp, from, to: 1, term: rn.term, reject: false });
  }
  assert.ok(rn.isLeader);
  const rd = rn.ready();
  const index = rd.entries[0].index;
  assert.equal(rn.status().progress.get(1)?.match, index - 1);
  // Node 2 has it, the leader's own copy is not persisted: no quorum yet.
  rn.step(ack(2, rn.term, index));
  assert.equal(rn.commitIndex, index - 1);
  storage.append(rd.entries);
  rn.advance(rd);
  assert.equal(rn.status().progress.get(1)?.match, index);
  assert.equal(rn.commitIndex, index);
  // Node 2 hears of the new commit index (node 3, still probed, with the next heartbeat).
  const commitSent = new Map<number, number>();
  for (const m of rn.ready().messages) {
    if (m.type === MessageType.App) commitSent.set(m.to, m.commit);
  }
  assert.equal(commitSent.get(2), index);
});
