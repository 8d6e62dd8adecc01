/**
 * One test per rule of the Raft paper (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", §5 and Figure 2), in the spirit of
 * etcd-io/raft raft_paper_test.go. Each test is init / act / check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/raft/core/messages.ts";
import { StateType } from "../../src/raft/core/raft.ts";
import { ELECTION, entry, HEARTBEAT, hup, newRaft, take, tickN } from "./helpers.ts";

// Reference: §5.1 "If one server's current term is smaller than the other's,
// then it updates its current term to the larger value. If a candidate or
// leader discovers that its term is out of date, it immediately reverts to
// follower state."
test("paper §5.1: a node of any role adopts a higher term and becomes follower", () => {
  for (const role of ["follower", "candidate", "leader"] as const) {
    const r = newRaft(1, [1, 2, 3]);
    if (role === "candidate") r.becomeCandidate();
    if (role === "leader") {
      r.becomeCandidate();
      r.becomeLeader();
    }
    const term = r.term + 5;
    r.step({
      type: MessageType.App,
      from: 2,
      to: 1,
      term,
      index: 0,
      logTerm: 0,
      entries: [],
      commit: 0,
    });
    assert.equal(r.term, term, role);
    assert.equal(r.state, StateType.Follower, role);
    assert.equal(r.lead, 2, role);
  }
});

// Reference: §5.1 "If a server receives a request with a stale term number, it rejects
// the request."
test("paper §5.1: a message with a stale term is ignored", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(5, 0);
  r.step({
    type: MessageType.App,
    from: 2,
    to: 1,
    term: 4,
    index: 1,
    logTerm: 1,
    entries: [entry(4, 2)],
    commit: 2,
  });
  assert.equal(r.term, 5);
  assert.equal(r.lead, 0);
  assert.equal(r.log.lastIndex(), 1);
});

// Reference: §5.2 "When servers start up, they begin as followers."
test("paper §5.2: nodes start as followers", () => {
  const r = newRaft(1, [1, 2, 3]);
  assert.equal(r.state, StateType.Follower);
});

// Reference: §5.2 "Leaders send periodic heartbeats (AppendEntries RPCs that
// carry no log entries) to all followers in order to maintain their authority."
test("paper §5.2: the leader broadcasts heartbeats every heartbeat timeout", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeCandidate();
  r.becomeLeader();
  take(r);
  tickN(r, HEARTBEAT);
  const msgs = take(r);
  assert.deepEqual(msgs.map((m) => [m.to, m.type]), [[2, MessageType.Heartbeat], [
    3,
    MessageType.Heartbeat,
  ]]);
});

// Reference: §5.2 "To begin an election, a follower increments its current
// term and transitions to candidate state. It then votes for itself and issues
// RequestVote RPCs in parallel to each of the other servers."
test("paper §5.2: a follower starts an election after the election timeout", () => {
  const r = newRaft(1, [1, 2, 3]);
  tickN(r, 2 * ELECTION);
  assert.equal(r.state, StateType.Candidate);
  assert.equal(r.term, 2);
  assert.equal(r.vote, 1);
  const msgs = take(r);
  assert.deepEqual(msgs.map((m) => [m.to, m.type, m.term]), [[2, MessageType.Vote, 2], [
    3,
    MessageType.Vote,
    2,
  ]]);
});

// Reference: §5.2 "A candidate wins an election if it receives votes from a
// majority of the servers in the full cluster for the same term."
test("paper §5.2: a candidate wins with a majority and only then", () => {
  const cases: Array<[number, Record<number, boolean>, StateType]> = [
    [1, {}, StateType.Leader],
    [3, { 2: true, 3: true }, StateType.Leader],
    [3, { 2: true }, StateType.Leader],
    [5, { 2: true, 3: true, 4: true, 5: true }, StateType.Leader],
    [5, { 2: true, 3: true }, StateType.Leader],
    [3, { 2: false, 3: false }, StateType.Follower],
    [5, { 2: false, 3: false, 4: false }, StateType.Follower],
    [5, { 2: true }, StateType.Candidate],
    [5, { 2: true, 3: false }, StateType.Candidate],
  ];
  for (const [size, votes, want] of cases) {
    const peers = Array.from({ length: size }, (_, i) => i + 1);
    const r = newRaft(1, peers);
    hup(r);
    for (const [id, granted] of Object.entries(votes)) {
      r.step({
        type: MessageType.VoteResp,
        from: Number(id),
        to: 1,
        term: r.term,
        reject: !granted,
      });
    }
    assert.equal(r.state, want, `size ${size} votes ${JSON.stringify(votes)}`);
  }
});

// Reference: §5.2 "Each server will vote for at most one candidate in a given
// term, on a first-come-first-served basis."
test("paper §5.2: a follower votes for at most one candidate per term", () => {
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
    from: 3,
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
  const resp = take(r).map((m) => [m.to, m.type === MessageType.VoteResp && m.reject]);
  assert.deepEqual(resp, [[2, false], [3, true], [2, false]]);
  assert.equal(r.vote, 2);
});

// Reference: §5.2 "If the leader's term is at least as large as the candidate's
// current term, then the candidate recognizes the leader as legitimate and
// returns to follower state."
test("paper §5.2: a candidate steps down on AppendEntries of its own term", () => {
  const r = newRaft(1, [1, 2, 3]);
  hup(r);
  r.step({
    type: MessageType.App,
    from: 2,
    to: 1,
    term: r.term,
    index: 1,
    logTerm: 1,
    entries: [],
    commit: 1,
  });
  assert.equal(r.state, StateType.Follower);
  assert.equal(r.lead, 2);
});

// Reference: §5.2 "Raft uses randomized election timeouts to ensure that split
// votes are rare": timeouts are spread over [electionTimeout, 2*electionTimeout).
test("paper §5.2: election timeouts are randomized over a range", () => {
  const seen = new Set<number>();
  for (let id = 1; id <= 200; id++) {
    const r = newRaft(id, [id, 1000]);
    let ticks = 0;
    while (r.state === StateType.Follower) {
      r.tick();
      ticks++;
    }
    assert.ok(ticks >= ELECTION && ticks < 2 * ELECTION, `timeout ${ticks}`);
    seen.add(ticks);
  }
  assert.ok(seen.size > ELECTION / 2, `only ${seen.size} distinct timeouts`);
});

// Reference: §5.2 "If many followers become candidates at the same time, votes
// could be split ... each candidate will time out and start a new election."
test("paper §5.2: a candidate with a split vote starts a new election", () => {
  const r = newRaft(1, [1, 2, 3]);
  hup(r);
  assert.equal(r.term, 2);
  tickN(r, 2 * ELECTION);
  assert.equal(r.state, StateType.Candidate);
  assert.equal(r.term, 3);
});
