/**
 * The Raft core seen from outside: proposals say where they were appended,
 * `status()` reports a copy of the node's state, and the server reaches the
 * core only through the driver's API (src/raft/api.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import { EntryType } from "../../src/raft/core/messages.ts";
import { bootstrapStorage, type MemoryStorage } from "../../src/raft/core/storage.ts";
import {
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";

interface TestNode {
  readonly rn: RawNode;
  readonly storage: MemoryStorage;
}

function cluster(voters: number[], disableProposalForwarding = false): Map<number, TestNode> {
  const nodes = new Map<number, TestNode>();
  for (const id of voters) {
    const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
    const storage = bootstrapStorage(cs);
    const rn = new RawNode({
      id,
      electionTicks: 10,
      heartbeatTicks: 1,
      storage,
      prng: createPrng(id),
      applied: 1,
      disableProposalForwarding,
    });
    nodes.set(id, { rn, storage });
  }
  return nodes;
}

/** Persists, delivers and advances every Ready until none is left. */
function stabilize(nodes: Map<number, TestNode>): void {
  for (let more = true; more;) {
    more = false;
    for (const { rn, storage } of nodes.values()) {
      if (!rn.hasReady()) continue;
      more = true;
      const rd = rn.ready();
      if (rd.entries.length > 0) storage.append(rd.entries);
      if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
      for (const m of rd.messages) nodes.get(m.to)?.rn.step(m);
      rn.advance(rd);
    }
  }
}

function elect(nodes: Map<number, TestNode>, id: number): RawNode {
  const leader = nodes.get(id)?.rn;
  assert.ok(leader !== undefined);
  leader.campaign();
  stabilize(nodes);
  assert.ok(leader.isLeader);
  return leader;
}

test("raft api: a proposal returns the index and term its entry was appended at", () => {
  const nodes = cluster([1, 2, 3]);
  const leader = elect(nodes, 1);
  const before = leader.status().lastIndex;
  const r = leader.propose(utf8("x"));
  assert.ok(r.ok && !r.forwarded);
  assert.deepEqual({ index: r.index, term: r.term }, { index: before + 1, term: leader.term });
  const rd = leader.ready();
  assert.deepEqual(rd.entries.map((e) => [e.index, e.term]), [[r.index, r.term]]);
  nodes.get(1)?.storage.append(rd.entries);
  leader.advance(rd);
  const cc = leader.proposeConfChange({
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
  });
  assert.ok(cc.ok && !cc.forwarded);
  assert.equal(cc.index, r.index + 1);
});

test("raft api: a follower forwards a proposal (no position) or refuses it with a reason", () => {
  const forwarding = cluster([1, 2, 3]);
  elect(forwarding, 1);
  assert.deepEqual(forwarding.get(2)?.rn.propose(utf8("x")), { ok: true, forwarded: true });
  const refusing = cluster([1, 2, 3], true);
  elect(refusing, 1);
  assert.deepEqual(refusing.get(2)?.rn.propose(utf8("x")), {
    ok: false,
    reason: "forwarding-disabled",
  });
});

test("raft api: status reports roles, configuration, progress and counts as a copy", () => {
  const nodes = cluster([1, 2, 3]);
  const leader = elect(nodes, 1);
  assert.ok(leader.propose(utf8("x")).ok);
  stabilize(nodes);
  const s = leader.status();
  assert.equal(s.role, "leader");
  assert.equal(s.lead, 1);
  assert.equal(s.isLearner, false);
  assert.deepEqual(s.confState.voters, [1, 2, 3]);
  assert.equal(s.commit, s.lastIndex);
  assert.deepEqual([...s.progress.keys()].sort(), [1, 2, 3]);
  for (const id of [2, 3]) {
    const pr = s.progress.get(id);
    assert.ok(pr !== undefined);
    assert.equal(pr.match, s.lastIndex);
    assert.equal(pr.next, s.lastIndex + 1);
    assert.equal(pr.state, "replicate");
    assert.equal(pr.recentActive, true);
    assert.equal(pr.heardRecently, true);
    assert.equal(pr.inflight, 0);
  }
  assert.equal(s.counts.electionsWon, 1);
  assert.equal(s.counts.proposalsAccepted, 1);
  assert.ok(leader.propose(utf8("y")).ok);
  assert.equal(s.counts.proposalsAccepted, 1, "a status is a snapshot, not a live view");
  const follower = nodes.get(2)?.rn.status();
  assert.equal(follower?.role, "follower");
  assert.equal(follower?.lead, 1);
  assert.equal(follower?.progress.size, 0, "only a leader tracks progress");
});

const ROOT = path.resolve(import.meta.dirname ?? ".", "../..");

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? sources(rel) : e.name.endsWith(".ts") ? [rel] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:import|export)[^;]*?from\s+"([^"]+)"/g)].map((m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]))
  );
}

test("raft api: the server imports only message and conf change types from raft/core", () => {
  const allowed = (t: string) =>
    t === "src/raft/core/messages.ts" || t.startsWith("src/raft/core/confchange/");
  const bad = sources("src/server").flatMap((f) =>
    importsOf(f).filter((t) => t.startsWith("src/raft/core/") && !allowed(t)).map((t) =>
      `${f} imports ${t}`
    )
  );
  assert.deepEqual(bad, []);
});

test("raft api: nothing under src/ but the core itself unseals RawNode", () => {
  const bad = sources("src").filter((f) =>
    !f.startsWith("src/raft/core/") &&
    fs.readFileSync(path.join(ROOT, f), "utf8").includes("innerRaftForTesting")
  );
  assert.deepEqual(bad, []);
});

for (const selfAckAfterPersist of [false, true]) {
  test(
    `a lone voter restarted with a stale commit never answers a read below what it wrote${
      selfAckAfterPersist ? " (self-ack after persist)" : ""
    }`,
    () => {
      // Entries 2..4 were written and acknowledged before a crash, but the hard state that
      // recorded their commit was not fsynced: the node restarts believing only 1 is committed.
      const cs = {
        voters: [1],
        votersOutgoing: [],
        learners: [],
        learnersNext: [],
        autoLeave: false,
      };
      const storage = bootstrapStorage(cs);
      const written = [2, 3, 4].map((index) => ({
        index,
        term: 1,
        type: EntryType.Normal,
        data: utf8(`w${index}`),
      }));
      storage.append(written);
      storage.setHardState({ term: 1, vote: 1, commit: 1 });
      const rn = new RawNode({
        id: 1,
        electionTicks: 10,
        heartbeatTicks: 1,
        storage,
        prng: createPrng(1),
        applied: 1,
        selfAckAfterPersist,
      });
      assert.equal(rn.commitIndex, 1);
      rn.campaign();
      assert.ok(rn.isLeader);
      assert.ok(rn.readIndex(utf8("r")).ok);
      const reads: number[] = [];
      for (let i = 0; i < 10 && rn.hasReady(); i++) {
        const rd = rn.ready();
        reads.push(...rd.readStates.map((st) => st.index));
        if (rd.entries.length > 0) storage.append(rd.entries);
        if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
        rn.advance(rd);
      }
      assert.equal(rn.commitIsCurrent, true);
      assert.deepEqual(reads, [5], "answered at the new term's entry (5), never at 1");
    },
  );
}
