/**
 * examples/election.ts against an in-process 3-node cluster whose Raft leader is killed in the
 * middle: one leader at a time; a new leader once the leader's session died, not before it
 * expired; proclaim and resign; an observer sees each leader in turn.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Election } from "../../examples/election.ts";
import { startCluster } from "../server/cluster_helpers.ts";
import { contender, killLeader, sleep, waitUntil } from "./contenders.ts";

const CAMPAIGN_TIMEOUT_MS = 20_000;
const text = (b: Uint8Array | undefined) => b === undefined ? "-" : new TextDecoder().decode(b);

test("election: one leader at a time, and a new one after the leader's session dies", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const candidates = await Promise.all([1, 2, 3].map(() => contender(c)));
    const watcher = await contender(c);
    const observed: string[] = [];
    const stopObserving = new AbortController();
    const observing = (async () => {
      const election = new Election(watcher.session, "leaders/svc");
      for await (const leader of election.observe(stopObserving.signal)) {
        observed.push(leader === undefined ? "-" : text(leader.value));
      }
    })();
    await waitUntil("the observer's first answer", () => observed.length > 0);
    assert.deepEqual(observed, ["-"]);

    const leading = new Set<number>();
    const winners: number[] = [];
    const violations: string[] = [];
    const elections = candidates.map((cand) => new Election(cand.session, "leaders/svc"));
    const campaigns = elections.map((e, i) =>
      e.campaign(`c${i}`, { signal: AbortSignal.timeout(CAMPAIGN_TIMEOUT_MS) }).then(() => {
        if (leading.size !== 0) violations.push(`c${i} leads beside c${[...leading]}`);
        leading.add(i);
        winners.push(i);
      })
    );
    await waitUntil("a first leader", () => winners.length >= 1);
    await sleep(300); // the others keep waiting
    assert.deepEqual(violations, []);
    assert.equal(winners.length, 1);
    const first = winners[0];
    assert.equal(text((await elections[first].leader())?.value), `c${first}`);
    await assert.rejects(elections[(first + 1) % 3].proclaim("usurper"), /not the leader/);

    // The leader's process dies, and the Raft leader with it.
    const killedAt = Date.now();
    leading.delete(first);
    candidates[first].kill();
    await killLeader(c);
    await waitUntil("a second leader", () => winners.length >= 2);
    const after = Date.now() - killedAt;
    // Not before the dead leader's session expired: its last keep-alive was at most a third of
    // the TTL before it died. (No upper bound: how soon is a matter of timing, not of
    // correctness, and a loaded machine stretches it; the wait above is bounded.)
    const ttlMs = candidates[first].session.ttlSeconds * 1000;
    assert.ok(
      after >= (ttlMs * 2) / 3 - 100,
      `a new leader ${after} ms after the death: too early`,
    );
    await sleep(200); // no third leader while the second holds
    assert.equal(winners.length, 2);

    const second = winners[1];
    await elections[second].proclaim(`c${second} v2`);
    await waitUntil("the proclaimed value", () => observed.includes(`c${second} v2`));
    leading.delete(second);
    await elections[second].resign();
    await Promise.all(campaigns.filter((_, i) => i !== first));
    const third = winners[2];
    assert.deepEqual(new Set(winners), new Set([0, 1, 2]));
    await waitUntil("the third leader observed", () => observed.at(-1) === `c${third}`);
    await elections[third].resign();
    await waitUntil("nobody leads", () => observed.at(-1) === "-");
    stopObserving.abort();
    await observing;

    assert.deepEqual(violations, []);
    assert.deepEqual(observed, ["-", `c${first}`, `c${second}`, `c${second} v2`, `c${third}`, "-"]);
    for (const i of [second, third]) await candidates[i].session.close();
    await watcher.session.close();
  } finally {
    await c.close();
  }
});
