/**
 * The sole voter's read index (src/server/node/read_issuer.ts): a leader that is the only voter
 * vouches for its commit index once an entry of its term has committed; it looks that up once a
 * term (every later commit index of the term is current too), and again in a new term.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RaftGroup } from "../../src/raft/group.ts";
import { NodeReadIssuer } from "../../src/server/node/read_issuer.ts";

function leader() {
  const raw = {
    isLeader: true,
    term: 3,
    commitIndex: 10,
    current: false,
    lookups: 0,
    get commitIsCurrent() {
      this.lookups++;
      return this.current;
    },
    status: () => ({ confState: { voters: [1], votersOutgoing: [] } }),
  };
  const issuer = new NodeReadIssuer(1, () => ({ rawNode: raw }) as unknown as RaftGroup, () => 10);
  return { raw, issuer };
}

test("read issuer: commit index vouched for once its term's entry committed, looked up once", () => {
  const { raw, issuer } = leader();
  assert.equal(issuer.localReadIndex(), undefined, "no entry of term 3 committed yet");
  raw.current = true;
  assert.equal(issuer.localReadIndex(), 10);
  const lookups = raw.lookups;
  raw.commitIndex = 14;
  assert.equal(issuer.localReadIndex(), 14);
  assert.equal(raw.lookups, lookups, "the same term: no second lookup");
  raw.term = 5; // leader again in a later term: its entry must commit again first
  raw.current = false;
  assert.equal(issuer.localReadIndex(), undefined);
  raw.isLeader = false;
  raw.current = true;
  assert.equal(issuer.localReadIndex(), undefined, "not leading");
});
