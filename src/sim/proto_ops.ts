/**
 * One operation of a protobuf-port client (the real client library, over the
 * simulated network): what it sends, and how its answer enters the history.
 * Outcomes follow the client's typed errors: a TinyKvError says whether the
 * operation may have happened (`outcomeUnknown`); anything else is treated as
 * unknown for writes, which is the safe side for the checker.
 */
import { TinyKvError } from "../client/errors.ts";
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { Prng } from "../util/prng.ts";
import type { History, Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import { revOpOf } from "./rev_convert.ts";
import { runTtlOp } from "./ttl_ops.ts";
import { runBankOp, type TxnBank } from "./bank_txn_ops.ts";
import { runPastRead, runTxnOp } from "./txn_ops.ts";
import { REGISTER_PREFIX, type WorkloadKeys } from "./workload_keys.ts";

export interface OpContext {
  readonly client: string;
  readonly api: TinyKvClient;
  readonly history: History;
  readonly keys: WorkloadKeys;
  readonly prng: Prng;
  readonly now: () => number;
  /** The simulated wall clock (whole Unix ms), the one key expiry runs on. */
  readonly wallMs: () => number;
  /** A value no other write uses. */
  readonly freshValue: () => string;
  /** What the bank's transactions last saw (bank_txn_ops.ts). */
  readonly bank: TxnBank;
}

interface Planned {
  readonly name: string;
  readonly detail: string;
  readonly write: boolean;
  /** The register writes it makes, as recorded when its outcome is unknown. */
  readonly intended: Op[];
  /** Sends it; resolves with the register operations as they happened. */
  readonly run: () => Promise<Op[]>;
  /** The store revision an ok write reported (after `run`). */
  readonly revision?: () => number | undefined;
  /** The operations the revision checker gets, when not the register operations. */
  readonly revView?: Op[];
}

/** The share of a protobuf client's operations that are transactions (txn_ops.ts). */
const TXN_SHARE = 0.2;
/** The share of operations on keys with an expiry (ttl_ops.ts). */
const TTL_SHARE = 0.1;
/** The share of reads as of a past revision (txn_ops.ts). */
const PAST_READ_SHARE = 0.05;
/** The share of bank transactions: transfers and reads of every account (bank_txn_ops.ts). */
const BANK_SHARE = 0.12;

function outcomeOf(err: unknown, write: boolean): Outcome {
  if (!write) return "fail";
  return err instanceof TinyKvError && !err.outcomeUnknown ? "fail" : "unknown";
}

/** Runs one randomly chosen operation and records it. */
export async function runProtoOp(x: OpContext): Promise<void> {
  if (x.prng.chance(TTL_SHARE)) return await runTtlOp(x);
  if (x.prng.chance(BANK_SHARE)) return await runBankOp(x);
  if (x.prng.chance(TXN_SHARE)) return await runTxnOp(x);
  if (x.prng.chance(PAST_READ_SHARE)) return await runPastRead(x);
  const plan = planOp(x);
  const call = x.now();
  let ops: Op[] = [];
  let outcome: Outcome = "ok";
  let error = "";
  try {
    ops = await plan.run();
  } catch (err) {
    outcome = outcomeOf(err, plan.write);
    error = err instanceof TinyKvError ? ` ${err.code}` : ` ${String(err)}`;
    ops = plan.intended;
  }
  if (outcome === "ok") x.keys.observe(ops);
  const ret = x.now();
  for (const op of ops) x.history.check({ ...op, call, ret }, outcome);
  const revision = outcome === "ok" ? plan.revision?.() : undefined;
  const revOps = plan.revView ?? ops;
  x.history.revision(
    revOpOf({ client: x.client, name: plan.name, call, ret, outcome, ops: revOps, revision }),
  );
  x.history.complete({
    client: x.client,
    name: plan.name,
    call,
    ret,
    outcome,
    detail: plan.detail + error,
  });
}

const op = (o: Omit<Op, "call" | "ret">): Op => ({ ...o, call: 0, ret: 0 });

function planOp(x: OpContext): Planned {
  const roll = x.prng.nextFloat();
  const key = x.keys.register(x.prng);
  const value = x.freshValue();
  if (roll < 0.3) {
    return {
      name: "get",
      detail: key,
      write: false,
      intended: [],
      run: async () => {
        const e = await x.api.getEntry(key);
        if (e === undefined) return [op({ kind: "get", key, value: "" })];
        const { version, modRevision, createRevision, lease } = e;
        const entry = { version, modRevision, createRevision, lease };
        return [op({ kind: "get", key, value: fromUtf8(e.value), entry })];
      },
    };
  }
  if (roll < 0.48) {
    const intended = [op({ kind: "put", key, value })];
    let revision: number | undefined;
    return {
      name: "put",
      detail: `${key}=${value}`,
      write: true,
      intended,
      run: async () => (revision = await x.api.put(key, value), intended),
      revision: () => revision,
    };
  }
  if (roll < 0.58) return planCas(x, key, value);
  if (roll < 0.65) {
    const intended = [op({ kind: "delete", key, value: "" })];
    return {
      name: "delete",
      detail: key,
      write: true,
      intended,
      run: async () => [op({ kind: "delete", key, value: "", existed: await x.api.delete(key) })],
    };
  }
  if (roll < 0.73) return planBatch(x, value);
  if (roll < 0.79) return planScan(x);
  return planInsert(x, value);
}

function planCas(x: OpContext, key: string, value: string): Planned {
  const expected = x.keys.lastSeen(key);
  const intended = [op({ kind: "cas", key, value, expected })];
  return {
    name: "cas",
    detail: `${key} ${expected || "(absent)"}->${value}`,
    write: true,
    intended,
    run: async () => {
      const applied = await x.api.compareAndSet(key, expected === "" ? undefined : expected, value);
      return [op({ kind: "cas", key, value, expected, applied })];
    },
  };
}

function planBatch(x: OpContext, value: string): Planned {
  const keys = [...new Set([x.keys.register(x.prng), x.keys.register(x.prng)])];
  const intended = keys.map((k, i) =>
    i === 1 && x.prng.chance(0.3)
      ? op({ kind: "delete", key: k, value: "" })
      : op({ kind: "put", key: k, value: `${value}.${i}` })
  );
  let revision: number | undefined;
  return {
    name: "batch",
    revision: () => revision,
    detail: intended.map((o) => o.kind === "put" ? `${o.key}=${o.value}` : `-${o.key}`).join(","),
    write: true,
    intended,
    run: async () => {
      revision = await x.api.batch(
        intended.map((o) =>
          o.kind === "put"
            ? { type: "put" as const, key: o.key, value: o.value }
            : { type: "del" as const, key: o.key }
        ),
      );
      return intended;
    },
  };
}

/** A scan of every register key in one page: each key present or absent is a read of it. */
function planScan(x: OpContext): Planned {
  let revision: number | undefined;
  return {
    name: "scan",
    detail: REGISTER_PREFIX,
    write: false,
    intended: [],
    // The revision the scan reports is exact: the checker reads the history there.
    revision: () => revision,
    run: async () => {
      const page = await x.api.scan({ prefix: REGISTER_PREFIX, limit: 1000 });
      revision = page.revision;
      x.keys.sawRevision(page.revision);
      const seen = new Map(page.items.map((it) => [fromUtf8(it.key), it]));
      return x.keys.registers.map((key) => {
        const it = seen.get(key);
        if (it === undefined) return op({ kind: "get", key, value: "" });
        const { version, modRevision, createRevision, lease } = it;
        const entry = { version, modRevision, createRevision, lease };
        return op({ kind: "get", key, value: fromUtf8(it.value), entry });
      });
    },
  };
}

function planInsert(x: OpContext, value: string): Planned {
  const key = x.keys.insertKey(x.client);
  return {
    name: "insert",
    detail: key,
    write: true,
    intended: [],
    revView: [op({ kind: "put", key, value })],
    run: async () => {
      try {
        await x.api.put(key, value);
      } catch (err) {
        x.history.insert(key, value, outcomeOf(err, true));
        throw err;
      }
      x.history.insert(key, value, "ok");
      return [];
    },
  };
}
