/**
 * The bank: accounts spread over four in-memory regions, concurrent transfers interleaved by a
 * seeded scheduler, coordinators crashing at random requests, snapshot reads of the whole table at
 * oracle timestamps, and the background resolver. Every snapshot must hold the same total, match
 * the transfers whose markers it shows (no lost update, nothing half applied), and show a
 * transfer exactly when its commit timestamp is at or below the snapshot's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn, TxnConflictError } from "../../src/txn/coordinator.ts";
import {
  readRange,
  sweepRegion,
  type TxnEnv,
  TxnLockedError,
} from "../../src/txn/lock_resolver.ts";
import type { MvccEntry } from "../../src/txn/mvcc_read.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, crashingSchedule, immediate, TestCluster } from "./txn_harness.ts";
import { SeededScheduler } from "./seeded_scheduler.ts";

const ACCOUNTS = 12, INITIAL = 100;
const ALL = { start: new Uint8Array(0), end: new Uint8Array(0) };
const acct = (i: number) => b(`acct/${String(i).padStart(2, "0")}`);

interface Transfer {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly amount: number;
}
type Outcome = { kind: "committed"; commitTs: number } | { kind: "aborted" | "unknown" };
interface Snapshot {
  readonly ts: number;
  readonly entries: MvccEntry[];
}

class Bank {
  readonly outcomes = new Map<number, Outcome>();
  readonly transfers = new Map<number, Transfer>();
  readonly snapshots: Snapshot[] = [];
  lockedReads = 0;
  expiredAborts = 0;
  crashes = 0;
  #nextId = 0;

  constructor(readonly cluster: TestCluster, readonly scheduler: SeededScheduler) {}

  env(schedule = this.scheduler.schedule): TxnEnv {
    return {
      ...this.cluster.env(schedule, this.scheduler.sleep),
      backoff: { attempts: 6, baseMs: 4, maxMs: 40 },
    };
  }

  /** One attempt of one transfer; false when the coordinator crashed. */
  async #attempt(env: TxnEnv, t: Transfer, ttl: number, crashed: () => boolean) {
    this.transfers.set(t.id, t);
    try {
      const txn = await beginTxn(env, { lockTtlMs: ttl });
      const from = Number(fromUtf8((await txn.get(acct(t.from)))!));
      const to = Number(fromUtf8((await txn.get(acct(t.to)))!));
      txn.put(acct(t.from), b(String(from - t.amount)));
      txn.put(acct(t.to), b(String(to + t.amount)));
      txn.put(b(`xfer/${String(t.id).padStart(5, "0")}`), b(JSON.stringify(t)));
      this.outcomes.set(t.id, { kind: "committed", commitTs: await txn.commit() });
      return true;
    } catch (e) {
      if (crashed()) {
        this.outcomes.set(t.id, { kind: "unknown" });
        this.crashes++;
        return false;
      }
      if (!(e instanceof TxnConflictError || e instanceof TxnLockedError)) throw e;
      // Rolled back by a reader that found its locks past their TTL (the coordinator was slow).
      if (e instanceof TxnConflictError && e.reason === "aborted") this.expiredAborts++;
      this.outcomes.set(t.id, { kind: "aborted" });
      return true;
    }
  }

  /** A client making transfers until it has made `count` or its coordinator crashes. */
  async client(prng: Prng, count: number, crashRate: number): Promise<void> {
    const { schedule, crashed } = crashingSchedule(this.scheduler.schedule, () => {
      if (!prng.chance(crashRate)) return undefined;
      return prng.chance(0.5) ? "before" : "after";
    });
    const env = this.env(schedule);
    // Short TTLs make live but slow coordinators lose their locks to readers.
    const ttl = prng.range(8, 60);
    for (let i = 0; i < count; i++) {
      const from = prng.int(ACCOUNTS), to = (from + 1 + prng.int(ACCOUNTS - 1)) % ACCOUNTS;
      const t = { id: this.#nextId++, from, to, amount: 1 + prng.int(20) };
      if (!(await this.#attempt(env, t, ttl, crashed))) return;
    }
  }

  async snapshot(env: TxnEnv): Promise<void> {
    const ts = await env.timestamp();
    try {
      this.snapshots.push({ ts, entries: await readRange(env, ALL, ts) });
    } catch (e) {
      if (!(e instanceof TxnLockedError)) throw e;
      this.lockedReads++;
    }
  }

  async reader(reads: number): Promise<void> {
    const env = this.env();
    for (let i = 0; i < reads; i++) {
      await this.snapshot(env);
      await this.scheduler.sleep(7);
    }
  }

  async resolver(done: () => boolean): Promise<void> {
    const env = this.env();
    for (let pass = 0; pass < 1000 && !done(); pass++) {
      for (const r of this.cluster.regions) await sweepRegion(env, r.id, 64);
      await this.scheduler.sleep(25);
    }
  }

  check(s: Snapshot): void {
    const balances: number[] = [], seen = new Set<number>();
    for (const e of s.entries) {
      const key = fromUtf8(e.key), value = fromUtf8(e.value);
      if (key.startsWith("acct/")) balances.push(Number(value));
      else seen.add((JSON.parse(value) as Transfer).id);
    }
    assert.equal(balances.length, ACCOUNTS);
    assert.equal(balances.reduce((x, y) => x + y, 0), ACCOUNTS * INITIAL, `total at ${s.ts}`);
    const expected: number[] = new Array(ACCOUNTS).fill(INITIAL);
    for (const id of seen) {
      const t = this.transfers.get(id)!;
      expected[t.from] -= t.amount;
      expected[t.to] += t.amount;
    }
    assert.deepEqual(balances, expected, `balances at ${s.ts} are the sum of its transfers`);
    for (const [id, o] of this.outcomes) {
      if (o.kind === "aborted") assert.ok(!seen.has(id), `aborted transfer ${id} visible`);
      if (o.kind === "committed") {
        assert.equal(
          seen.has(id),
          o.commitTs <= s.ts,
          `transfer ${id} at ${o.commitTs}, read at ${s.ts}`,
        );
      }
    }
  }
}

async function runBank(seed: number) {
  const prng = createPrng(seed);
  const cluster = new TestCluster(["acct/04", "acct/08", "xfer/"]);
  const setup = await beginTxn(cluster.env(immediate));
  for (let i = 0; i < ACCOUNTS; i++) setup.put(acct(i), b(String(INITIAL)));
  await setup.commit();
  const scheduler = new SeededScheduler(prng.fork(), cluster);
  const bank = new Bank(cluster, scheduler);
  const clients = Array.from({ length: 6 }, () => bank.client(prng.fork(), 6, 0.01));
  let clientsDone = false;
  const allClients = Promise.all(clients).then(() => (clientsDone = true));
  const readers = Array.from({ length: 3 }, () => bank.reader(6));
  await scheduler.run([allClients, ...readers, bank.resolver(() => clientsDone)], 50_000);
  // Afterwards: every lock's TTL passes, the resolver finishes everything.
  cluster.nowMs += 1_000;
  const env = cluster.env(immediate);
  for (const r of cluster.regions) await sweepRegion(env, r.id, 1_000);
  assert.equal(cluster.locks(), 0);
  await bank.snapshot(env);
  for (const s of bank.snapshots) bank.check(s);
  return bank;
}

test("bank: the total never changes and committed transfers are seen from their timestamp on", async () => {
  const totals = {
    committed: 0,
    aborted: 0,
    unknown: 0,
    snapshots: 0,
    locked: 0,
    expired: 0,
    steps: 0,
  };
  for (let seed = 1; seed <= 8; seed++) {
    const bank = await runBank(seed);
    for (const o of bank.outcomes.values()) totals[o.kind]++;
    totals.snapshots += bank.snapshots.length;
    totals.locked += bank.lockedReads;
    totals.expired += bank.expiredAborts;
    totals.steps += bank.scheduler.steps;
  }
  // The runs exercised what they claim to: commits, conflicts, crashes and many snapshots.
  assert.ok(totals.committed >= 50, JSON.stringify(totals));
  assert.ok(totals.aborted >= 10, JSON.stringify(totals));
  assert.ok(totals.unknown >= 3, JSON.stringify(totals));
  assert.ok(totals.snapshots >= 60, JSON.stringify(totals));
  assert.ok(totals.expired >= 3, JSON.stringify(totals));
});

test("bank: a seed gives the same run", async () => {
  const outcomes = async () => [...(await runBank(7)).outcomes.entries()];
  assert.deepEqual(await outcomes(), await outcomes());
});
