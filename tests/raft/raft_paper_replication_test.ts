/**
 * Raft paper rules for log replication and safety (§5.3, §5.4, §6), continued
 * from raft_paper_test.ts. Each test is init / act / check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { type Message, MessageType } from "../../src/raft/core/messages.ts";
import { StateType } from "../../src/raft/core/raft.ts";
import { appResp, entry, hup, Net, newRaft, propose, storageWithTerms, take } from "./helpers.ts";

// Reference: §5.3 "The leader appends the command to its log as a new entry,
// then issues AppendEntries RPCs in parallel to each of the other servers."
test("paper §5.3: the leader appends a proposal and replicates it", () => {
  const r = newRaft(1, [1, 2, 3]);
  hup(r);
  r.step({ type: MessageType.VoteResp, from: 2, to: 1, term: r.term, reject: false });
  take(r);
  for (const id of [2, 3]) r.step(appResp(id, 1, r.term, r.log.lastIndex()));
  take(r);
  propose(r, "x");
  const msgs = take(r);
  assert.equal(msgs.length, 2);
  for (const m of msgs) {
    assert.equal(m.type, MessageType.App);
    if (m.type !== MessageType.App) continue;
    assert.equal(m.entries.length, 1);
    assert.equal(fromUtf8(m.entries[0]?.data ?? new Uint8Array()), "x");
  }
  assert.equal(r.log.committed, 2);
});

// Reference: §5.3 "A log entry is committed once the leader that created the
// entry has replicated it on a majority of the servers."
test("paper §5.3: an entry commits once stored on a majority", () => {
  for (
    const [size, acks, committed] of [[3, 0, false], [3, 1, true], [5, 1, false], [
      5,
      2,
      true,
    ]] as const
  ) {
    const peers = Array.from({ length: size }, (_, i) => i + 1);
    const r = newRaft(1, peers);
    r.becomeCandidate();
    r.becomeLeader();
    propose(r, "x");
    take(r);
    const li = r.log.lastIndex();
    for (let id = 2; id < 2 + acks; id++) r.step(appResp(id, 1, r.term, li));
    assert.equal(r.log.committed === li, committed, `size ${size} acks ${acks}`);
  }
});

// Reference: §5.3 "Once a follower learns that a log entry is committed, it
// applies the entry to its local state machine."
test("paper §5.3: a follower learns the commit index from the leader", () => {
  const net = new Net([newRaft(1, [1, 2, 3]), newRaft(2, [1, 2, 3]), newRaft(3, [1, 2, 3])]);
  net.elect(1);
  net.propose(1, "x");
  const li = net.get(1).log.lastIndex();
  net.send({ type: MessageType.Beat, from: 1, to: 1, term: 0 });
  for (const id of [2, 3]) assert.equal(net.get(id).log.committed, li);
});

// Reference: §5.3 "If the follower does not find an entry in its log with the
// same index and term, then it refuses the new entries."
test("paper §5.3: the consistency check rejects a mismatching append", () => {
  const r = newRaft(2, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 2]));
  r.step({
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 3,
    index: 3,
    logTerm: 3,
    entries: [entry(3, 4)],
    commit: 3,
  });
  const [m] = take(r);
  assert.ok(m !== undefined && m.type === MessageType.AppResp && m.reject);
  assert.equal(r.log.lastIndex(), 3);
});

// Reference: §5.3 "If an existing entry conflicts with a new one (same index
// but different terms), delete the existing entry and all that follow it."
test("paper §5.3: a follower replaces a conflicting suffix", () => {
  const r = newRaft(2, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 2, 2, 2]));
  r.step({
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 3,
    index: 3,
    logTerm: 2,
    entries: [entry(3, 4), entry(3, 5)],
    commit: 1,
  });
  assert.deepEqual(r.log.allEntries().map((e) => [e.index, e.term]), [[2, 1], [3, 2], [4, 3], [
    5,
    3,
  ]]);
});

// Reference: §5.3 figure 7: "the leader must find the latest log entry where
// the two logs agree, delete any entries in the follower's log after that
// point, and send the follower all of the leader's entries after that point."
test("paper §5.3: the leader brings every follower log of figure 7 in line", () => {
  const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers = [
    [1, 1, 1, 4, 4, 5, 5, 6, 6],
    [1, 1, 1, 4],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    [1, 1, 1, 4, 4, 4, 4],
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  ];
  for (const [i, terms] of followers.entries()) {
    const peers = [1, 2, 3];
    const lead = newRaft(1, peers, {}, storageWithTerms(peers, leaderTerms));
    const follower = newRaft(2, peers, {}, storageWithTerms(peers, terms));
    const voter = newRaft(3, peers, {}, storageWithTerms(peers, []));
    lead.becomeFollower(8, 0);
    const net = new Net([lead, follower, voter]);
    net.elect(1);
    assert.equal(lead.state, StateType.Leader, `case ${i}`);
    net.propose(1, "sync");
    const want = lead.log.allEntries().map((e) => [e.index, e.term]);
    assert.deepEqual(follower.log.allEntries().map((e) => [e.index, e.term]), want, `case ${i}`);
  }
});

// Reference: §5.3 optimization: "the follower can include the term of the
// conflicting entry and the first index it stores for that term", so the
// leader skips whole terms instead of one entry per round trip.
test("paper §5.3: fast backtracking needs few probes for a long conflict", () => {
  const peers = [1, 2, 3];
  const lead = newRaft(
    1,
    peers,
    {},
    storageWithTerms(peers, [...Array(50).fill(2), ...Array(50).fill(4)]),
  );
  const follower = newRaft(
    2,
    peers,
    {},
    storageWithTerms(peers, [...Array(50).fill(2), ...Array(80).fill(3)]),
  );
  const voter = newRaft(3, peers, {}, storageWithTerms(peers, []));
  lead.becomeFollower(5, 0);
  const net = new Net([lead, follower, voter]);
  let rejects = 0;
  const origStep = follower.step.bind(follower);
  follower.step = (m: Message) => {
    const out = origStep(m);
    rejects += follower.msgs.filter((x) => x.type === MessageType.AppResp && x.reject).length;
    return out;
  };
  net.elect(1);
  assert.deepEqual(
    follower.log.allEntries().map((e) => e.term),
    lead.log.allEntries().map((e) => e.term),
  );
  assert.ok(rejects <= 3, `${rejects} rejected probes`);
});

// Reference: §5.4.1 "The voter denies its vote if its own log is more up-to-date than
// that of the candidate."
test("paper §5.4.1: a voter denies a candidate with a less up-to-date log", () => {
  const cases: Array<[number, number, boolean]> = [
    // candidate [lastTerm, lastIndex] vs voter log terms [2, 2] (indexes 2..3)
    [1, 3, true],
    [1, 4, true],
    [2, 2, true],
    [2, 3, false],
    [2, 4, false],
    [3, 2, false],
  ];
  for (const [logTerm, index, reject] of cases) {
    const r = newRaft(1, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [2, 2]));
    r.step({ type: MessageType.Vote, from: 2, to: 1, term: 5, index, logTerm, transfer: false });
    const [m] = take(r);
    assert.ok(m !== undefined && m.type === MessageType.VoteResp);
    assert.equal(m.reject, reject, `candidate ${logTerm}/${index}`);
  }
});

// Reference: §5.4.2 "Raft never commits log entries from previous terms by
// counting replicas. Only log entries from the leader's current term are
// committed by counting replicas" (figure 8).
test("paper §5.4.2: the leader commits only entries of its current term by counting", () => {
  const r = newRaft(1, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 2]));
  r.becomeFollower(3, 0);
  r.becomeCandidate(); // term 4
  r.becomeLeader(); // appends an empty entry of term 4 at index 4
  take(r);
  r.step(appResp(2, 1, r.term, 3)); // a majority holds the term-2 entry at index 3 ...
  assert.equal(r.log.committed, 1); // ... but it is not committed by counting
  r.step(appResp(2, 1, r.term, 4)); // once the current-term entry is on a majority
  assert.equal(r.log.committed, 4); // everything before it commits too
});

// Reference: §5.4.1 / Figure 2 "If votedFor is null or candidateId, and
// candidate's log is at least as up-to-date as receiver's log, grant vote."
test("paper figure 2: a node repeats its vote for the same candidate", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.step({
    type: MessageType.Vote,
    from: 2,
    to: 1,
    term: 2,
    index: 1,
    logTerm: 1,
    transfer: false,
  });
  r.step({
    type: MessageType.Vote,
    from: 2,
    to: 1,
    term: 2,
    index: 1,
    logTerm: 1,
    transfer: false,
  });
  const out = take(r);
  assert.equal(out.length, 2);
  for (const m of out) assert.ok(m.type === MessageType.VoteResp && !m.reject);
});

// Reference: Figure 2 (AppendEntries receiver, rule 5) "If leaderCommit >
// commitIndex, set commitIndex = min(leaderCommit, index of last new entry)."
test("paper figure 2: a follower commits up to min(leaderCommit, last new entry)", () => {
  const r = newRaft(2, [1, 2, 3], {}, storageWithTerms([1, 2, 3], [1, 1]));
  r.step({
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 1,
    index: 2,
    logTerm: 1,
    entries: [],
    commit: 10,
  });
  assert.equal(r.log.committed, 2);
});

// Reference: §6 "the leader steps down (returns to follower state) once it has
// committed the Cnew log entry" when it is not part of the new configuration.
test("paper §6: a leader removed from the configuration steps down once it applies", () => {
  const net = new Net([newRaft(1, [1, 2, 3]), newRaft(2, [1, 2, 3]), newRaft(3, [1, 2, 3])]);
  net.elect(1);
  const r = net.get(1);
  r.applyConfChange({ transition: 0, changes: [{ type: 2, nodeId: 1 }] });
  assert.equal(r.state, StateType.Follower);
  assert.equal(r.promotable(), false);
});
