/**
 * examples/lock.ts against an in-process 3-node cluster whose Raft leader is killed in the
 * middle: contenders are never inside together; a lock kept alive survives the failover; a
 * crashed holder's lock passes to the next in line once its session expired, not before (and
 * its fenced writes stop applying); a waiter that gives up leaves the line, the one behind waits on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Mutex } from "../../examples/lock.ts";
import { startCluster } from "../server/cluster_helpers.ts";
import {
  type Contender,
  contender,
  ELECTION_MAX_MS,
  killLeader,
  sleep,
  TTL_SECONDS,
  waitUntil,
} from "./contenders.ts";

/** A bound on each contender's loop (it normally stops after a few rounds). */
const ROUNDS_MAX = 200;
const LOCK_TIMEOUT_MS = 20_000;

test("lock: contenders (three) are never inside together, across a leader failover", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3);
  try {
    await c.leader();
    const log: { who: number; enter: number; exit: number; afterKill: boolean }[] = [];
    let inside = 0;
    let killed = false;
    const overlaps: string[] = [];
    // Each contender locks again and again until all have held it twice since the kill.
    const doneAfterKill = () =>
      [1, 2, 3].every((w) => log.filter((l) => l.who === w && l.afterKill).length >= 2);
    const run = async (who: number) => {
      const { session } = await contender(c);
      const mutex = new Mutex(session, "locks/shared");
      for (let round = 0; round < ROUNDS_MAX && !doneAfterKill(); round++) {
        await mutex.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
        if (++inside !== 1) overlaps.push(`${who} entered with ${inside - 1} inside`);
        const afterKill = killed;
        const enter = performance.now();
        await sleep(40);
        const exit = performance.now();
        inside--;
        log.push({ who, enter, exit, afterKill });
        await mutex.unlock();
      }
      await session.close();
    };
    const killer = (async () => {
      await waitUntil("two holds", () => log.length >= 2);
      await killLeader(c);
      killed = true;
    })();
    await Promise.all([run(1), run(2), run(3), killer]);
    assert.deepEqual(overlaps, []);
    assert.ok(doneAfterKill(), "every contender held the lock after the failover");
    const byEnter = [...log].sort((a, b) => a.enter - b.enter);
    for (let i = 1; i < byEnter.length; i++) {
      assert.ok(byEnter[i].enter >= byEnter[i - 1].exit, `holds ${i - 1} and ${i} overlap`);
    }
  } finally {
    await c.close();
  }
});

test("lock: held through keep-alives, it survives a leader failover", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const a = await contender(c);
    const b = await contender(c);
    const held = new Mutex(a.session, "locks/failover");
    await held.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    const waiting = new Mutex(b.session, "locks/failover");
    let bLocked = false;
    const bLock = waiting.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) }).then(() => {
      bLocked = true;
    });
    await killLeader(c);
    // Well past the TTL: the holder's keep-alives reached the new leader; nothing expired.
    await sleep(2 * TTL_SECONDS * 1000 + ELECTION_MAX_MS);
    assert.equal(bLocked, false, "the second contender got a lock that was still held");
    assert.equal(a.session.keepAlive.lost, undefined);
    const entry = await b.client.getEntry(held.key);
    assert.equal(entry?.lease, a.session.leaseId);
    assert.equal(entry?.createRevision, held.revision);
    const fenced = await a.client.txn({
      compare: [held.ownerCompare()],
      success: [{ put: { key: "locks/failover-data", value: "written under the lock" } }],
    });
    assert.equal(fenced.succeeded, true);
    const heldRevision = held.revision;
    await held.unlock();
    await bLock;
    assert.equal(bLocked, true);
    assert.ok(waiting.revision > heldRevision);
    await a.session.close();
    await b.session.close();
  } finally {
    await c.close();
  }
});

test("lock: a killed holder's lock goes to the next once its session expired", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const a = await contender(c);
    const b = await contender(c);
    const held = new Mutex(a.session, "locks/crash");
    await held.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    const heldRevision = held.revision;
    const waiting = new Mutex(b.session, "locks/crash");
    const bLock = waiting.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    // Let the waiter's watch start, then crash the holder and the Raft leader together.
    await sleep(300);
    const killedAt = Date.now();
    a.kill();
    await killLeader(c);
    await bLock;
    const after = Date.now() - killedAt;
    const ttlMs = a.session.ttlSeconds * 1000;
    // The holder's last keep-alive was at most a third of the TTL before it died.
    assert.ok(after >= (ttlMs * 2) / 3 - 100, `released ${after} ms after the crash: too early`);
    // No upper bound: how soon is timing, which a loaded machine stretches (the wait is bounded).
    assert.equal(await b.client.getEntry(held.key), undefined);
    assert.ok(waiting.revision > heldRevision);
    // A write fenced with the dead holder's compare no longer applies.
    const late = await b.client.txn({
      compare: [held.ownerCompare()],
      success: [{ put: { key: "locks/crash-data", value: "too late" } }],
    });
    assert.equal(late.succeeded, false);
    await b.session.close();
  } finally {
    await c.close();
  }
});

test("lock: a waiter that gives up leaves the line; the one behind it waits on", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const [a, b, d] = [await contender(c), await contender(c), await contender(c)];
    const held = new Mutex(a.session, "locks/abort");
    await held.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    const quitter = new Mutex(b.session, "locks/abort");
    const giveUp = new AbortController();
    const quitting = quitter.lock({ signal: giveUp.signal });
    await waitUntilKey(a, quitter.key);
    const next = new Mutex(d.session, "locks/abort");
    let nextLocked = false;
    const nextLock = next.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) }).then(() => {
      nextLocked = true;
    });
    await waitUntilKey(a, next.key);
    giveUp.abort(); // the key `next` watches (the one just ahead of it) goes
    await assert.rejects(quitting);
    assert.equal(await a.client.getEntry(quitter.key), undefined);
    await sleep(300);
    assert.equal(nextLocked, false, "the lock is still held");
    await killLeader(c);
    await held.unlock();
    await nextLock;
    assert.ok(next.revision > 0);
    for (const x of [a, b, d]) await x.session.close();
  } finally {
    await c.close();
  }
});

async function waitUntilKey(x: Contender, key: string): Promise<void> {
  for (let i = 0; i < 200 && await x.client.getEntry(key) === undefined; i++) await sleep(20);
  assert.ok(await x.client.getEntry(key), `${key} was never created`);
}

test("lock: a waiter whose session ends stops waiting with an error", {
  timeout: 30_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const [a, b] = [await contender(c), await contender(c)];
    const held = new Mutex(a.session, "locks/ended");
    await held.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    const waiting = new Mutex(b.session, "locks/ended");
    const lock = waiting.lock({ signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) });
    await waitUntilKey(a, waiting.key);
    // Expect the rejection before causing it: it may come while close() is still awaited.
    const refused = assert.rejects(lock, /session ended/);
    await b.session.close(); // revokes the lease: its key goes
    await refused;
    assert.equal(await a.client.getEntry(waiting.key), undefined);
    assert.ok(await a.client.getEntry(held.key), "the holder still holds");
    await a.session.close();
  } finally {
    await c.close();
  }
});
