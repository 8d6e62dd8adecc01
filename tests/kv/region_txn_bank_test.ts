/**
 * The bank workload on real regions (issue 15's acceptance, in process): nine accounts over
 * three regions of three multi-region drivers with RegionKv state machines on shared engines;
 * concurrent transfers as cross-region transactions and full-table reads at a start timestamp,
 * under message loss, a partition of one region's leader and a crash of another's (its engine
 * loses what it had not flushed, and it restarts from its log). No read may see the total change.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn } from "../../src/txn/coordinator.ts";
import { sweepRegion, type TxnEnv } from "../../src/txn/lock_resolver.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import {
  diesAfterPrewrite,
  locksOn,
  threeRegions,
  TICK_MS,
  type TxnRegionCluster,
} from "./region_txn_cluster.ts";

const ACCOUNTS = ["a", "c", "f", "h", "j", "m", "p", "s", "w"];
const START = 100, TOTAL = START * ACCOUNTS.length;
const EVERYTHING = { start: new Uint8Array(0), end: new Uint8Array(0) };
const CLIENTS = 4;
/** The workload runs this many ticks (the faults fall inside), at most MAX_STEPS steps each. */
const WORKLOAD_TICKS = 260, MAX_STEPS = 80;

interface Tally {
  committed: number;
  /** Coordinators that died: before their commit point, and after it. */
  dead: number;
  deadCommitted: number;
  failed: number;
  reads: number;
  readFailures: number;
  errors: Set<string>;
}

const errorName = (e: unknown) => e instanceof Error ? e.name : String(e);

async function fund(env: TxnEnv): Promise<void> {
  const txn = await beginTxn(env);
  for (const a of ACCOUNTS) txn.put(utf8(a), utf8(String(START)));
  await txn.commit();
}

/**
 * Transfer `n` of a client; every fifth one's coordinator dies after prewriting (every other
 * of those after committing the primary), leaving its locks to readers and the sweep.
 */
async function transfer(env: TxnEnv, prng: Prng, tally: Tally, n: number): Promise<void> {
  const dies = n % 5 === 1;
  if (dies) env = diesAfterPrewrite(env, n % 10 === 1);
  const from = ACCOUNTS[prng.int(ACCOUNTS.length)];
  const to = ACCOUNTS[(ACCOUNTS.indexOf(from) + 1 + prng.int(ACCOUNTS.length - 1)) % 9];
  const amount = 1 + prng.int(20);
  try {
    const txn = await beginTxn(env, { lockTtlMs: (20 + prng.int(40)) * TICK_MS });
    const balance = async (k: string) => Number(fromUtf8((await txn.get(utf8(k))) ?? utf8("0")));
    const [f, t] = [await balance(from), await balance(to)];
    txn.put(utf8(from), utf8(String(f - amount)));
    txn.put(utf8(to), utf8(String(t + amount)));
    await txn.commit();
    tally.committed++;
    if (dies) tally.deadCommitted++;
  } catch (e) {
    tally.failed++;
    if (dies) tally.dead++;
    tally.errors.add(errorName(e));
  }
}

/** A full-table read at one start timestamp: every account, and the total unchanged. */
async function audit(env: TxnEnv, tally: Tally): Promise<void> {
  try {
    const txn = await beginTxn(env);
    const rows = await txn.scan(EVERYTHING);
    assert.deepEqual(rows.map((r) => fromUtf8(r.key)), ACCOUNTS, "every account, once");
    const total = rows.reduce((n, r) => n + Number(fromUtf8(r.value)), 0);
    assert.equal(total, TOTAL, `the total at ${txn.startTs}`);
    tally.reads++;
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    tally.readFailures++; // a lock outlived the reader's backoff, or no leader answered
    tally.errors.add(errorName(e));
  }
}

/**
 * Faults by tick: the leader of region 1 partitioned away (it keeps running), region 3 split at
 * "t", then the leader of region 2 crashed (unflushed engine writes lost) and restarted. `log`
 * says what happened.
 */
function faults(t: TxnRegionCluster, from: number, log: string[], onCrash: () => void) {
  let cut = 0, crashed = 0;
  return async (tick: number) => {
    if (tick === from + 10) {
      cut = t.leader(1)?.id ?? 0;
      if (cut !== 0) (t.c.isolated.add(cut), log.push(`partition n${cut}`));
    }
    if (tick === from + 70 && cut !== 0) t.c.isolated.delete(cut);
    // Region 3 splits under the transfers (proposed again until it applied: a proposal may be lost).
    if (tick >= from + 40 && tick % 5 === 0 && !t.c.nodes.some((n) => n.sms.has(4))) {
      t.proposeSplit(3, { version: 3, confVer: 1 }, "t", 4);
      if (!log.includes("split")) log.push("split");
    }
    if (tick === from + 100) {
      crashed = t.leader(2)?.id ?? 0;
      if (crashed !== 0) {
        t.c.kill(crashed);
        t.c.node(crashed).world.fs.crash("lose");
        log.push(`crash n${crashed}`);
        onCrash();
      }
    }
    const other = t.leader(2)?.id;
    if (tick > from + 100 && tick < from + 170 && other !== undefined && other !== crashed) {
      if (!log.includes("r2 led elsewhere")) log.push("r2 led elsewhere");
    }
    if (tick === from + 170 && crashed !== 0) {
      await t.c.open(t.c.node(crashed));
      log.push(`restart n${crashed}`);
    }
  };
}

for (const seed of [1, 2, 3]) {
  test(`region txn bank (seed ${seed}): the total never changes under loss, partition, crash`, async () => {
    const t = await threeRegions(100 + seed, 0.05);
    const env = await t.env();
    await fund(env);
    const from = t.ticks, log: string[] = [];
    const tally: Tally = {
      committed: 0,
      dead: 0,
      deadCommitted: 0,
      failed: 0,
      reads: 0,
      readFailures: 0,
      errors: new Set(),
    };
    let atCrash = Infinity;
    const committedAtCrash = () => atCrash;
    t.beforeTick = faults(t, from, log, () => atCrash = tally.committed);
    const prng = createPrng(seed);
    const running = (n: number) => n < MAX_STEPS && t.ticks < from + WORKLOAD_TICKS;
    const clients = Array.from({ length: CLIENTS }, async () => {
      const own = await t.env(), p = prng.fork();
      for (let n = 0; running(n); n++) await transfer(own, p, tally, n);
    });
    const reader = (async () => {
      const own = await t.env();
      for (let n = 0; running(n); n++) await audit(own, tally);
    })();
    await Promise.all([...clients, reader]);
    assert.ok(t.ticks >= from + 170, `the workload ran through the faults: ${t.ticks - from}`);
    assert.deepEqual(log.map((l) => l.split(" ")[0]), [
      "partition",
      "split",
      "crash",
      "r2",
      "restart",
    ]);
    const routes = await t.routes();
    assert.deepEqual(routes.map((r) => r.id), [1, 2, 3, 4], "region 3 split under the workload");
    assert.ok(t.sent.refused > 0, "requests on the old routes were refused and re-routed");
    // Work went on without them: region 2 had a new leader while its old one was down.
    assert.ok(log.includes("r2 led elsewhere"), log.join(", "));
    assert.ok(tally.committed > committedAtCrash(), "transfers committed after the crash");
    t.beforeTick = () => {};
    t.c.isolated.clear();
    // Every node back; the resolver finishes what dead coordinators left; one last audit.
    for (const n of t.c.nodes) if (t.c.down.has(n.id)) await t.c.open(n);
    await t.ticksPass(100);
    for (const r of env.regions()) await sweepRegion(env, r.id, 100).catch(() => 0);
    await audit(env, tally);
    assert.ok(tally.committed >= 3, `transfers committed: ${JSON.stringify(tally)}`);
    assert.ok(tally.dead > 0 && tally.deadCommitted > 0, `coordinators died: ${tally.dead}`);
    assert.ok(tally.reads >= 3, `audits: ${tally.reads}, failed ${tally.readFailures}`);
    await t.waitFor(() => [1, 2, 3].every((n) => locksOn(t, n) === 0), 200);
    for (const n of [1, 2, 3]) assert.equal(locksOn(t, n), 0, `n${n}: no lock left`);
  });
}
