/** What a node's peers say at startup, judged (src/server/membership/membership_check.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterStatus } from "../../src/client/cluster_status.ts";
import {
  judgePeers,
  type PeerAnswer,
  type SelfView,
} from "../../src/server/membership/membership_check.ts";

const A = "aaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbb";

function answer(id: number, clusterId: string | null, members: number[], leader = 1): PeerAnswer {
  const status: ClusterStatus = {
    id,
    role: id === leader ? "leader" : "follower",
    term: 3,
    leaderId: leader,
    commitIndex: 9,
    appliedIndex: 9,
    revision: 9,
    compactedRevision: 0,
    members: members.map((m) => ({ id: m, address: `h:${m}`, learner: false })),
    clusterId,
    member: members.includes(id),
    regionMode: 1,
  };
  return { id, address: `h:${id}`, status };
}

const self = (o: Partial<SelfView> = {}): SelfView => ({
  id: 4,
  clusterId: A,
  dataDir: "/var/lib/tinykv",
  fresh: false,
  join: false,
  address: "h:4",
  ...o,
});

test("judgePeers: no answers, or peers of this cluster listing it: start", () => {
  assert.deepEqual(judgePeers(self(), []), { ok: true });
  assert.deepEqual(judgePeers(self(), [answer(1, A, [1, 2, 4])]), { ok: true });
});

test("judgePeers: a cluster that does not list this node: refuse, or wait with --join", () => {
  const refused = judgePeers(self({ fresh: true, clusterId: B }), [answer(1, A, [1, 2, 3])]);
  assert.equal(refused.ok, false);
  assert.match(
    refused.ok ? "" : refused.message,
    /^node 4 is not a member of cluster a{16} \(members 1,2,3\): it was removed or never added; run `tinykv member add 4 h:4` and start it with --join, or take node 4 out of --peers$/,
  );
  const removed = judgePeers(self(), [answer(1, A, [1, 2, 3])]);
  assert.equal(removed.ok, false, "same cluster, removed");
  const joining = judgePeers(self({ join: true, clusterId: undefined, fresh: true }), [
    answer(2, null, []),
    answer(1, A, [1, 2, 3]),
  ]);
  assert.equal(joining.ok, true);
  assert.equal(joining.ok && joining.adopt, A, "a joiner adopts the members' id");
  assert.match(joining.ok ? joining.waiting ?? "" : "", /; waiting to be added: run `tinykv/);
});

test("judgePeers: only the leader's member list can refuse; a follower's may be stale", () => {
  const stale = answer(2, A, [1, 2, 3]); // follower 2 has not applied node 4's re-add yet
  assert.deepEqual(judgePeers(self(), [stale]), { ok: true });
  assert.equal(
    judgePeers(self(), [stale, answer(1, A, [1, 2, 3])]).ok,
    false,
    "the leader's says no",
  );
  assert.deepEqual(judgePeers(self(), [stale, answer(1, A, [1, 2, 3, 4])]), { ok: true });
});

test("judgePeers: another cluster that lists this node: the message names the flag to fix", () => {
  const dataDir = judgePeers(self(), [answer(1, B, [1, 2, 4])]);
  assert.match(
    dataDir.ok ? "" : dataDir.message,
    /^data directory \/var\/lib\/tinykv belongs to cluster a{16}, but h:1 \(node 1 in --peers\) is in cluster b{16}: fix --data-dir \(it holds another cluster's data\) or --peers$/,
  );
  const fresh = judgePeers(self({ fresh: true }), [answer(1, B, [1, 2, 4])]);
  assert.match(fresh.ok ? "" : fresh.message, /fix --peers or --cluster-token, or start .* --join/);
});

test("judgePeers: v1 ids (per node, from --peers text) are not compared; non-members not trusted", () => {
  assert.deepEqual(judgePeers(self({ clusterId: "0a1b2c3d" }), [answer(1, B, [1, 2, 4])]), {
    ok: true,
  });
  const outsider = answer(5, B, [1, 2, 3], 0);
  assert.deepEqual(judgePeers(self(), [outsider]), { ok: true });
});
