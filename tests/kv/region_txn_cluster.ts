/**
 * Cross-region transactions on real regions (docs/transactions.md#on-regions): the region
 * cluster of region_cluster.ts (three multi-region drivers, RegionKv state machines on shared
 * engines, a lossy network) driven by one pump, a `TxnRegionSender` that proposes each write as
 * a `Txn` command to the region's leader (stamping the leader's clock) and serves each read
 * after a ReadIndex, the `RoutedTxnClient` over it, and the real timestamp oracle with its bound
 * persisted in the test. Time is virtual: `TICK_MS` per tick; every wait is bounded in ticks.
 */
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { decodeRegionOutcome } from "../../src/kv/region_command.ts";
import { readRegionTxn } from "../../src/kv/region_txn_apply.ts";
import type { RegionEpoch, Replica } from "../../src/region/descriptor.ts";
import { RegionMap } from "../../src/region/region_map.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import type { TxnReadReply, TxnReadRequest, TxnRegionClient } from "../../src/txn/region_txn.ts";
import {
  RoutedTxnClient,
  type TxnRefusal,
  type TxnRegionSender,
  type TxnRoute,
} from "../../src/txn/routed_txn_client.ts";
import { TIMESTAMP_EPOCH_MS, TimestampOracle } from "../../src/txn/timestamp.ts";
import { TimestampBatcher, TimestampService } from "../../src/txn/timestamp_service.ts";
import {
  decodeTxnReply,
  encodeTxnRequest,
  type TxnWriteReply,
  type TxnWriteRequest,
} from "../../src/txn/txn_codec.ts";
import { toHex, utf8 } from "../../src/util/bytes.ts";
import { lockRange } from "../../src/txn/txn_keys.ts";
import { type KvNode, RegionCluster } from "./region_cluster.ts";

export const TICK_MS = 10;
/** Ticks a request waits for its leader, its entry or its ReadIndex before it is retried. */
const WAIT_TICKS = 40;
const VOTERS: Replica[] = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" }));

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: (reached: boolean) => void;
  readonly until: number;
}

export class TxnRegionCluster implements TxnRegionSender {
  ticks = 0;
  #waiters: Waiter[] = [];
  #pumping = false;
  #reads = 0;
  /** Run by the pump before a tick (faults: a crash, a partition, a restart). */
  beforeTick: (tick: number) => Promise<void> | void = () => {};
  /** The oracle's persisted bound (its "placement group" is this field). */
  persistedBound = 0;
  readonly oracle = new TimestampOracle(0, 500);
  readonly tso = new TimestampService(
    this.oracle,
    (bound) => this.#persist(bound),
    () => this.nowMs,
  );
  readonly batcher = new TimestampBatcher((count) => this.tso.next(count));
  /** Requests proposed and ReadIndexes asked (for the test's own sanity checks). */
  readonly sent = { writes: 0, reads: 0, refused: 0, unavailable: 0 };

  private constructor(readonly c: RegionCluster) {}

  static async start(seed: number, loss: number): Promise<TxnRegionCluster> {
    return new TxnRegionCluster(await RegionCluster.start(seed, loss));
  }

  get nowMs(): number {
    return TIMESTAMP_EPOCH_MS + 1_000_000 + this.ticks * TICK_MS;
  }

  async #persist(bound: number): Promise<void> {
    await this.ticksPass(1); // a Raft round of the placement group
    this.persistedBound = Math.max(this.persistedBound, bound);
  }

  /** Resolves true once `done` holds, false after `maxTicks` ticks. */
  waitFor(done: () => boolean, maxTicks: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    const p = new Promise<boolean>((resolve) => {
      this.#waiters.push({ done, resolve, until: this.ticks + maxTicks });
    });
    if (!this.#pumping) this.#pump();
    return p;
  }

  ticksPass(n: number): Promise<boolean> {
    return this.waitFor(() => false, n).then(() => true);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0) {
        await this.beforeTick(this.ticks);
        await this.c.tick();
        this.ticks++;
        const still: Waiter[] = [];
        for (const w of this.#waiters) {
          if (w.done()) w.resolve(true);
          else if (this.ticks >= w.until) w.resolve(false);
          else still.push(w);
        }
        this.#waiters = still;
        await Promise.resolve(); // let the resolved requests send their next step
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The live, connected leader of `region` with the highest term, if any. */
  leader(region: number): KvNode | undefined {
    let best: KvNode | undefined, term = -1;
    for (const n of this.c.nodes) {
      if (this.c.down.has(n.id) || this.c.isolated.has(n.id)) continue;
      const raw = n.driver.region(region)?.rawNode;
      if (raw?.isLeader === true && raw.term > term) {
        best = n;
        term = raw.term;
      }
    }
    return best;
  }

  async #leaderOf(region: number): Promise<KvNode | undefined> {
    await this.waitFor(() => this.leader(region) !== undefined, WAIT_TICKS);
    return this.leader(region);
  }

  async write(route: TxnRoute, req: TxnWriteRequest): Promise<TxnWriteReply | TxnRefusal> {
    const reply = await this.#write(route, req);
    if (reply.kind === "unavailable") this.sent.unavailable++;
    return reply;
  }

  async read(route: TxnRoute, req: TxnReadRequest): Promise<TxnReadReply | TxnRefusal> {
    const reply = await this.#read(route, req);
    if (reply.kind === "unavailable") this.sent.unavailable++;
    return reply;
  }

  async #write(route: TxnRoute, req: TxnWriteRequest): Promise<TxnWriteReply | TxnRefusal> {
    const node = await this.#leaderOf(route.id);
    const sm = node?.sms.get(route.id);
    if (node === undefined || sm === undefined) return { kind: "unavailable" };
    const stamped = "nowMs" in req ? { ...req, nowMs: this.nowMs } : req;
    const data = encodeRegionCommand({
      kind: "txn",
      regionId: route.id,
      epoch: route.epoch,
      request: encodeTxnRequest(stamped),
    });
    const res = node.driver.propose(route.id, data);
    this.sent.writes++;
    if (res === undefined || !res.ok || res.forwarded) return { kind: "unavailable" };
    const mine = () => sm.terms.get(res.index) === res.term && sm.outcomes.has(res.index);
    const applied = await this.waitFor(
      () => mine() || sm.terms.has(res.index) || node.sms.get(route.id) !== sm,
      WAIT_TICKS,
    );
    if (!applied || !mine()) return { kind: "unavailable" };
    const outcome = decodeRegionOutcome(sm.outcomes.get(res.index) as Uint8Array);
    if (outcome?.kind === "txn") return decodeTxnReply(outcome.reply);
    this.sent.refused++;
    if (outcome?.kind === "invalid") return { kind: "invalid", message: outcome.message };
    return { kind: "stale" };
  }

  async #read(route: TxnRoute, req: TxnReadRequest): Promise<TxnReadReply | TxnRefusal> {
    const node = await this.#leaderOf(route.id);
    const sm = node?.sms.get(route.id);
    if (node === undefined || sm === undefined) return { kind: "unavailable" };
    const context = utf8(`read-${++this.#reads}`), id = toHex(context);
    const res = node.driver.readIndex(route.id, context);
    this.sent.reads++;
    if (res === undefined || !res.ok) return { kind: "unavailable" };
    const ready = () => {
      const index = sm.reads.get(id);
      return index !== undefined && sm.kv.kv.appliedIndex >= index;
    };
    const served = await this.waitFor(() => ready() || node.sms.get(route.id) !== sm, WAIT_TICKS);
    if (!served || !ready() || this.c.down.has(node.id)) return { kind: "unavailable" };
    sm.reads.delete(id);
    const epoch = route.epoch;
    const reply = readRegionTxn(
      node.db,
      sm.kv.descriptor,
      { regionId: route.id, epoch },
      req,
      this.nowMs,
    );
    if (reply.kind === "get" || reply.kind === "scan" || reply.kind === "locks") return reply;
    this.sent.refused++;
    return reply.kind === "invalid"
      ? { kind: "invalid", message: reply.message }
      : { kind: "stale" };
  }

  /** The newest descriptors any live node holds, as routes in key order. */
  routes(): Promise<readonly TxnRoute[]> {
    const map = new RegionMap();
    for (const n of this.c.nodes) {
      if (this.c.down.has(n.id)) continue;
      for (const sm of n.sms.values()) map.update(sm.kv.descriptor);
    }
    return Promise.resolve(
      map.all().map((d) => ({ id: d.id, start: d.start, end: d.end, epoch: d.epoch })),
    );
  }

  /** A coordinator's environment: its own route cache, the oracle, virtual time. */
  async env(): Promise<TxnEnv & { client: RoutedTxnClient }> {
    const sleep = (ms: number) =>
      this.ticksPass(Math.max(1, Math.ceil(ms / TICK_MS))).then(() => {});
    const client = new RoutedTxnClient(this, await this.routes(), sleep);
    return {
      client,
      regionOf: (key) => client.routeOf(key).id,
      regions: () => client.routes.map((r) => ({ id: r.id, range: r })),
      timestamp: () => this.batcher.next(),
      nowMs: () => this.nowMs,
      sleep,
      backoff: { attempts: 12, baseMs: TICK_MS, maxMs: 20 * TICK_MS },
    };
  }

  /** Proposes a split without waiting (from the pump's `beforeTick`); false: no leader took it. */
  proposeSplit(region: number, epoch: RegionEpoch, key: string, newRegion: number): boolean {
    const res = this.leader(region)?.driver.propose(
      region,
      splitCommand(region, epoch, key, newRegion),
    );
    return res?.ok === true && !res.forwarded;
  }

  /** Splits `region` (holding `epoch`) at `key` into `newRegion`; waits for the child's leader. */
  async split(region: number, epoch: RegionEpoch, key: string, newRegion: number): Promise<void> {
    const data = splitCommand(region, epoch, key, newRegion);
    for (let attempt = 0; attempt < 10; attempt++) {
      const node = await this.#leaderOf(region);
      const sm = node?.sms.get(region);
      const res = node?.driver.propose(region, data);
      if (sm === undefined || res === undefined || !res.ok || res.forwarded) continue;
      const mine = () => sm.terms.get(res.index) === res.term && sm.outcomes.has(res.index);
      await this.waitFor(() => mine() || sm.terms.has(res.index), WAIT_TICKS);
      const o = mine() ? decodeRegionOutcome(sm.outcomes.get(res.index) as Uint8Array) : undefined;
      if (o?.kind === "split" || o?.kind === "epoch-not-match") break;
    }
    if (!(await this.waitFor(() => this.leader(newRegion) !== undefined, 200))) {
      throw new Error(`region ${newRegion}: no leader`);
    }
  }
}

function splitCommand(regionId: number, epoch: RegionEpoch, key: string, newRegionId: number) {
  const splitKey = utf8(key);
  return encodeRegionCommand({
    kind: "split",
    regionId,
    epoch,
    splitKey,
    newRegionId,
    replicas: VOTERS,
  });
}

/** Three regions: [, h) r1, [h, p) r2, [p, ) r3. */
export async function threeRegions(seed: number, loss: number): Promise<TxnRegionCluster> {
  const t = await TxnRegionCluster.start(seed, loss);
  await t.split(1, { version: 1, confVer: 1 }, "h", 2);
  await t.split(2, { version: 2, confVer: 1 }, "p", 3);
  return t;
}

/** Locks on node n's engine. */
export function locksOn(t: TxnRegionCluster, n: number): number {
  const [start, end] = lockRange(new Uint8Array(0), new Uint8Array(0));
  return [...t.c.node(n).db.scanSync({ start, end })].length;
}

/** An environment whose commits never arrive: its coordinator dies after prewriting. */
export function diesAfterPrewrite(env: TxnEnv, commitPrimary = false): TxnEnv {
  let commits = 0;
  const c = env.client;
  const client: TxnRegionClient = {
    prewrite: (r, req) => c.prewrite(r, req),
    checkTxnStatus: (r, p, s, m) => c.checkTxnStatus(r, p, s, m),
    resolveLock: (r, keys, s, ts) => c.resolveLock(r, keys, s, ts),
    get: (r, key, ts) => c.get(r, key, ts),
    scan: (r, range, ts, limit) => c.scan(r, range, ts, limit),
    scanExpiredLocks: (r, limit) => c.scanExpiredLocks(r, limit),
    commit: (r, keys, s, c) =>
      commitPrimary && commits++ === 0
        ? env.client.commit(r, keys, s, c)
        : Promise.reject(new Error("coordinator died")),
    rollback: () => Promise.reject(new Error("coordinator died")),
  };
  return { ...env, client };
}
