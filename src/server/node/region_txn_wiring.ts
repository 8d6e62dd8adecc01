/**
 * Transactions across regions on a node (docs/transactions.md "On nodes"): the Percolator
 * requests it serves for the regions it leads, its transport to other regions' leaders, the
 * lock resolver on its leaders' timer, the reads that meet locks, and the coordinator the router
 * runs a `txn`, `batch` or Redis run spanning regions with. All of it only on nodes with the
 * timestamp oracle (`timestamps()` defined): a one-region node has no locks to meet.
 */
import type { NodeRegionsDeps } from "./node_regions.ts";
import type { NodeReads } from "./node_reads.ts";
import type { ProposalTimestamps } from "./proposal_timestamps.ts";
import type { RegionHost } from "./region_host.ts";
import type { RegionRouter } from "./region_router.ts";
import { RegionTxnService } from "./region_txn_service.ts";
import { NodeTxnSender } from "./node_txn_sender.ts";
import type { TxnRoute } from "../../txn/routed_txn_client.ts";
import { TxnResolver } from "./txn_resolver.ts";
import { regionHoldsLocks } from "../../kv/region_txn_locks.ts";
import { ReadLocks } from "./read_locks.ts";
import { resolveOne } from "../../txn/lock_resolver.ts";
import { readStorageOf } from "../../kv/redis/read_run.ts";
import { readKeysAt, serveKeysAt } from "./keys_at.ts";
import type { KeysAtRequest } from "./keys_at_codec.ts";

/** Percolator requests served here, the transport to other leaders, and the lock resolver. */
export function wireTxns(
  d: NodeRegionsDeps,
  parts: {
    host: RegionHost;
    timestamps: () => ProposalTimestamps | undefined;
    reads: NodeReads;
    router: RegionRouter;
  },
) {
  const { o, addresses } = d;
  const { host, timestamps, reads, router } = parts;
  const txns = new RegionTxnService({ o, host, addresses });
  const remote = router.d.remote;
  const txnSender = new NodeTxnSender({ o, host, addresses, service: txns, timestamps, remote });
  // The regions share one engine: region 1's state machine reads (and counts) all of them.
  const storage = () => readStorageOf(host.d.first.kv.kv);
  const serve = (req: KeysAtRequest) =>
    serveKeysAt((keys, at) => reads.getManyAt(keys, at), storage, req);
  txns.keysAt = serve;
  const keysAt = {
    holds: (key: Uint8Array) => host.regionFor(key) !== undefined,
    serve,
    routeOf: async (key: Uint8Array) => {
      const d = await remote?.locate(key);
      return d === undefined ? undefined : { id: d.id, start: d.start, end: d.end, epoch: d.epoch };
    },
    send: (route: TxnRoute, request: Uint8Array) => txnSender.sendRead(route, request),
    sleep: (ms: number) => new Promise<void>((r) => o.clock.setTimeout(r, ms)),
  };
  const txnResolver = new TxnResolver({
    regions: () => host.all(),
    hasLocks: (r) => regionHoldsLocks(d.engine().db, r.kv.descriptor),
    env: () => txnSender.env(),
    clock: o.clock,
    logger: o.logger,
  });
  const readLocks = new ReadLocks({
    db: () => d.engine().db,
    resolve: (lock) => resolveOne(txnSender.env(), lock),
    clock: o.clock,
    budgetMs: o.requestTimeoutMs,
  });
  reads.locks = () => timestamps() === undefined ? undefined : readLocks;
  const crossRegion = {
    env: () => txnSender.env(),
    read: (keys: readonly Uint8Array[], at: number) => readKeysAt(keysAt, keys, at),
    now: () => o.clock.wallMs(),
  };
  router.crossRegion = () => timestamps() === undefined ? undefined : crossRegion;
  /** RESP WATCH's tokens of `keys` in `db`, read where their regions are (keys_at.ts). */
  const watchTokens = async (db: number, keys: readonly Uint8Array[]): Promise<number[]> => {
    const at = await readKeysAt(keysAt, keys, await txnSender.env().timestamp(), db);
    return at.map((k) => k.token);
  };
  return { txns, txnSender, txnResolver, keysAt, watchTokens };
}
