/**
 * Log lines that need a slow request or a rare Raft path (docs/logging.md):
 * `request.slow` from the metered service, CheckQuorum step-downs and joint
 * membership steps from the Raft event observer, on a hand-moved clock; the
 * engine's compaction reports and the disk fault lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { MetricsRegistry } from "../../src/server/metrics/registry.ts";
import { meteredService } from "../../src/server/metrics/metered_service.ts";
import type { KvService } from "../../src/server/kv_service.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import { RaftEvents, type RaftView } from "../../src/server/node/raft_events.ts";
import { LeaderHistory } from "../../src/server/node/leader_history.ts";
import type { RaftCounts } from "../../src/raft/core/status.ts";
import type { ConfState } from "../../src/raft/core/messages.ts";
import {
  ConfChangeTransition,
  ConfChangeType,
} from "../../src/raft/core/confchange/conf_change.ts";
import { StateType } from "../../src/raft/core/state_type.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import type { CompactionDone } from "../../src/storage/options.ts";
import { FaultMonitor, logFault } from "../../src/server/node/faults.ts";
import type { RaftNode } from "../../src/raft/node.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";

function capture(clock: SimClock) {
  const lines: string[] = [];
  const logger = createLogger({
    write: (l) => lines.push(l.slice(25)), // without the timestamp
    wallMs: () => clock.wallMs(),
    nowMs: () => clock.nowMs(),
    level: "debug",
  });
  return { lines, logger };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

test("request.slow: a request over the threshold is logged with its kind, key and time", async () => {
  const clock = new SimClock();
  const { lines, logger } = capture(clock);
  /** Each request takes `takes` ms of virtual time. */
  let takes = 0;
  const wait = () => {
    const p = new Promise<void>((r) => clock.setTimeout(r, takes));
    clock.advance(takes);
    return p;
  };
  const inner = {
    get: async () => {
      await wait();
      return { state: undefined, revision: 1 };
    },
    write: async () => {
      await wait();
      throw new ServiceError(ErrorCode.UNAVAILABLE, "no leader");
    },
  } as unknown as KvService;
  const service = meteredService(inner, new MetricsRegistry(), clock, logger, 500);
  takes = 499;
  await service.get(utf8("fast"), "linearizable");
  assert.deepEqual(lines, [], "under the threshold: no line");
  takes = 750;
  await service.get(utf8(`user/${"x".repeat(100)}`), "serializable");
  await assert.rejects(
    service.write({ body: { case: "put", value: { key: utf8("k1"), value: utf8("v") } } }),
  );
  assert.deepEqual(lines, [
    `WARN  request.slow kind=get_serializable key=user/${"x".repeat(27)}... ms=750 result=ok`,
    "WARN  request.slow kind=write_put key=k1 ms=750 result=unavailable",
  ]);
  // 0 turns the lines off.
  const off = meteredService(inner, new MetricsRegistry(), clock, logger, 0);
  await off.get(utf8("k"), "linearizable");
  assert.equal(lines.length, 2);
});

/** A Raft node as the observer sees it, its counts and term set by the test. */
function fakeRaft() {
  const counts: { -readonly [K in keyof RaftCounts]: RaftCounts[K] } = {
    electionsStarted: 0,
    preVotesStarted: 0,
    electionsWon: 0,
    electionTimeouts: 0,
    transferElections: 0,
    checkQuorumStepDowns: 0,
    timeoutNowSent: 0,
    lastWinVotes: { granted: 0, voters: 0 },
    proposalsAccepted: 0,
    proposalsRefused: 0,
  };
  const confState: ConfState = {
    voters: [1, 2, 3],
    votersOutgoing: [],
    learners: [4],
    learnersNext: [],
    autoLeave: false,
  };
  const state = { term: 1, commit: 10, counts, confState };
  const view: RaftView = { status: () => ({ ...state, counts: { ...counts } }) };
  return { state, counts, view };
}

test("leader.changed: a leader that loses its quorum says check-quorum", () => {
  const clock = new SimClock();
  const { lines, logger } = capture(clock);
  const raft = fakeRaft();
  const events = new RaftEvents(1, logger, () => raft.view, new LeaderHistory(clock));
  raft.counts.electionTimeouts++;
  raft.counts.preVotesStarted++;
  raft.counts.electionsStarted++;
  raft.counts.electionsWon++;
  raft.counts.lastWinVotes = { granted: 3, voters: 3 };
  raft.state.term = 2;
  events.observe({ lead: 1, state: StateType.Leader });
  raft.counts.checkQuorumStepDowns++;
  events.observe({ lead: 0, state: StateType.Follower });
  // A follower hears of a newer term (someone else campaigns), then of its leader.
  raft.state.term = 3;
  events.observe({ lead: 0, state: StateType.Follower });
  events.observe({ lead: 2, state: StateType.Follower });
  assert.deepEqual(lines, [
    "DEBUG election.prevote node=1 reason=timeout",
    "INFO  election.started node=1 term=2 reason=timeout",
    "INFO  election.won node=1 term=2 votes=3/3",
    "INFO  leader.changed node=1 old=none new=1 term=2 reason=elected",
    "INFO  leader.changed node=1 old=1 new=none term=2 reason=check-quorum",
    "INFO  leader.changed node=1 old=none new=2 term=3 reason=elected",
  ]);
});

test("election.started: a campaign the node asked for (at start) says campaign", () => {
  const clock = new SimClock();
  const { lines, logger } = capture(clock);
  const raft = fakeRaft();
  const events = new RaftEvents(1, logger, () => raft.view, new LeaderHistory(clock));
  raft.counts.preVotesStarted++; // no election timeout fired: asked to campaign
  events.observe({ lead: 0, state: StateType.PreCandidate });
  raft.counts.electionsStarted++;
  raft.state.term = 2;
  events.observe({ lead: 0, state: StateType.Candidate });
  raft.counts.electionTimeouts++; // the vote was split: the timer fires, a new round
  raft.counts.preVotesStarted++;
  events.observe({ lead: 0, state: StateType.PreCandidate });
  raft.counts.electionsStarted++;
  raft.state.term = 3;
  events.observe({ lead: 0, state: StateType.Candidate });
  assert.deepEqual(lines, [
    "DEBUG election.prevote node=1 reason=campaign",
    "INFO  election.started node=1 term=2 reason=campaign",
    "DEBUG election.prevote node=1 reason=timeout",
    "INFO  election.started node=1 term=3 reason=timeout",
  ]);
});

test("membership: promotion through a joint configuration, then a removal", () => {
  const clock = new SimClock();
  const { lines, logger } = capture(clock);
  const raft = fakeRaft();
  const events = new RaftEvents(1, logger, () => raft.view, new LeaderHistory(clock));
  const joint: ConfState = {
    voters: [1, 2, 3, 4],
    votersOutgoing: [1, 2, 3],
    learners: [],
    learnersNext: [],
    autoLeave: true,
  };
  const promote = {
    transition: ConfChangeTransition.JointImplicit,
    changes: [{ type: ConfChangeType.AddNode, nodeId: 4 }],
  };
  const addLearner = {
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
  };
  events.confChanged(addLearner, raft.state.confState, 9); // replayed at restart: logged before
  assert.deepEqual(lines, []);
  events.confChanged(promote, joint, 11);
  const left = { ...joint, votersOutgoing: [] };
  events.confChanged({ transition: ConfChangeTransition.Auto, changes: [] }, left, 12);
  const remove = {
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.RemoveNode, nodeId: 2 }],
  };
  events.confChanged(remove, { ...left, voters: [1, 3, 4] }, 13);
  assert.deepEqual(lines, [
    "INFO  membership.promoted node=1 member=4 voters=1,2,3,4 outgoing=1,2,3",
    "INFO  membership.joint_entered node=1 voters=1,2,3,4 outgoing=1,2,3",
    "INFO  membership.joint_left node=1 voters=1,2,3,4",
    "INFO  membership.removed node=1 member=2 voters=1,3,4",
  ]);
});

test("engine.compaction: each compaction that rewrote tables says level, bytes and time", async () => {
  const w = createSimWorld(7, { trace: false });
  const done: CompactionDone[] = [];
  const db = await Db.open(w.fs, "db", {
    sync: "none",
    memtableBytes: 4096,
    tableFileBytes: 1024,
    level1Bytes: 8192,
    onCompaction: (d) => done.push(d),
  });
  const value = "x".repeat(300);
  for (let i = 0; i < 1500; i++) await db.put(`k${i % 300}`, value);
  await db.close();
  const st = db.stats();
  assert.ok(st.compactions > 0);
  assert.equal(done.length, st.compactions, "one report per compaction (moves are not)");
  assert.equal(done.reduce((n, d) => n + d.bytesIn, 0), st.compactionBytesRead);
  assert.equal(done.reduce((n, d) => n + d.bytesOut, 0), st.compactionBytesWritten);
  assert.ok(done.every((d) => d.level >= 0 && d.ms >= 0));
});

test("disk faults: one line per fault kind, with the file and offset of corruption", () => {
  const clock = new SimClock();
  const { lines, logger } = capture(clock);
  logFault(logger, { kind: "disk-full", message: "disk full: ENOSPC" });
  logFault(logger, undefined);
  logFault(logger, {
    kind: "corruption",
    message: "Corruption in 000012.sst at offset 8210: block checksum mismatch",
    file: "000012.sst",
    offset: 8210,
  });
  logFault(logger, { kind: "stopped", message: "node stopped: fsync failed" });
  assert.deepEqual(lines, [
    'ERROR disk.full error="disk full: ENOSPC"',
    "INFO  disk.fault_cleared",
    "ERROR disk.corruption file=000012.sst offset=8210 " +
    'error="Corruption in 000012.sst at offset 8210: block checksum mismatch"',
    'ERROR node.stopped error="node stopped: fsync failed"',
  ]);
});

test("log.suppressed: the node's periodic fault check writes the due summaries", () => {
  const clock = new SimClock();
  const lines: string[] = [];
  const logger = createLogger({
    write: (l) => lines.push(l.slice(25)),
    wallMs: () => clock.wallMs(),
    nowMs: () => clock.nowMs(),
    burst: 1,
    summaryMs: 2000,
  });
  const healthy = {
    node: () => ({ failure: undefined, diskFull: undefined }) as unknown as RaftNode,
    engine: () =>
      ({
        corruption: undefined,
        db: { failure: undefined, outOfSpace: undefined },
      }) as unknown as EngineHolder,
  };
  const monitor = new FaultMonitor(healthy, clock, logger);
  for (let i = 0; i < 5; i++) logger.warn("peer.lost", { peer: 2 });
  monitor.start();
  clock.advance(1000);
  assert.deepEqual(lines, ["WARN  peer.lost peer=2"], "not due yet");
  clock.advance(1000);
  monitor.stop();
  assert.deepEqual(lines, [
    "WARN  peer.lost peer=2",
    "WARN  log.suppressed event=peer.lost count=4",
  ]);
});
