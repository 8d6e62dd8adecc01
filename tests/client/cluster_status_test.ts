import { test } from "node:test";
import assert from "node:assert/strict";
import { type MemberReport, summarize } from "../../src/client/cluster_status.ts";
import { statusTable } from "../../src/cli/status_command.ts";

const members = [
  { id: 1, address: "127.0.0.1:7001", learner: false },
  { id: 2, address: "127.0.0.1:7002", learner: false },
  { id: 3, address: "127.0.0.1:7003", learner: false },
  { id: 4, address: "127.0.0.1:7004", learner: true },
];

function answer(id: number, role: string, term: number, commit: number, applied: number) {
  return {
    id,
    role,
    term,
    leaderId: role === "candidate" ? null : 2,
    commitIndex: commit,
    appliedIndex: applied,
    revision: applied,
    compactedRevision: 0,
    members,
    clusterId: "0123456789abcdef",
    member: true,
    regionMode: 1,
  };
}

const reports: MemberReport[] = [
  { ...members[0], status: answer(1, "follower", 7, 100, 98), error: undefined },
  { ...members[1], status: answer(2, "leader", 7, 120, 120), error: undefined },
  { ...members[2], status: undefined, error: "connection refused" },
  { ...members[3], status: answer(4, "candidate", 8, 90, 90), error: undefined },
];

test("summarize: leader from the answers, lag against its commit, health per member", () => {
  const s = summarize(reports);
  assert.equal(s.leader, 2);
  assert.equal(s.term, 7, "the leader's term");
  const byId = new Map(s.members.map((m) => [m.id, m]));
  assert.equal(byId.get(1)?.lag, 22);
  assert.equal(byId.get(1)?.health, "catching-up");
  assert.equal(byId.get(2)?.lag, 0);
  assert.equal(byId.get(2)?.health, "ok");
  assert.equal(byId.get(3)?.health, "unreachable");
  assert.equal(byId.get(3)?.reachable, false);
  assert.equal(byId.get(3)?.error, "connection refused");
  assert.equal(byId.get(4)?.health, "no-leader");
  assert.equal(byId.get(4)?.lag, 30);
});

test("summarize: no leader answering gives leader null and lag against the highest commit", () => {
  const s = summarize([reports[0], reports[2]]);
  assert.equal(s.leader, null);
  assert.equal(s.members[0].lag, 2);
});

test("status table: a header line, then one aligned row per member", () => {
  const lines = statusTable(summarize(reports)).split("\n");
  assert.equal(lines[0], "leader 2, term 7, 4 members (1 learners), 3 reachable");
  assert.match(lines[2], /^ID\s+ADDRESS\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+LAG\s+HEALTH$/);
  assert.match(lines[4], /^2\s+127\.0\.0\.1:7002\s+leader\s+7\s+120\s+120\s+0\s+ok$/);
  assert.match(lines[5], /^3\s+127\.0\.0\.1:7003\s+-\s+-\s+-\s+-\s+-\s+unreachable \(connection/);
  const at = (line: string, word: string) => line.indexOf(word);
  assert.equal(at(lines[2], "HEALTH"), at(lines[3], "catching-up"), "columns line up");
});
