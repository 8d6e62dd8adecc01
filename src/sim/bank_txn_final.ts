/**
 * The bank's check after healing (bank_txn_check.ts): one transaction reads every account,
 * which must sum to the total (or find none, when no opening ever applied); it joins the
 * account reads the check goes through. And, for the report, how many regions hold the
 * accounts at the end.
 */
import { TinyKvClient } from "../client/tinykv_client.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import { ACCOUNT_KEYS, regionsOf } from "./bank_txn_check.ts";
import type { History } from "./history.ts";
import { regionOfKey } from "./region_final.ts";
import type { SimCluster } from "./sim_cluster.ts";

/**
 * Reads every account in one transaction into `h.accountReads`; the errors, if it fails. Its
 * own client: a `txn` is a write with a client session, and the other final clients share one
 * seed (so one client id), whose sequence numbers would meet this request's saved answer.
 */
export async function finalAccountsRead(c: SimCluster, h: History): Promise<string[]> {
  h.bankTxn.regions = regionsOf(ACCOUNT_KEYS, (k) => regionOfKey(c, utf8(k))).size;
  // Each node is asked in turn, the first to answer counts. A node holding only some of the
  // accounts' regions coordinates the read too (docs/transactions.md "On a node holding some
  // regions"); one that still refuses it as over several regions (FAILED_PRECONDITION, "holds only
  // some") is skipped, and when every node does, so is the read (the reads during the run were
  // checked); any other error is the check's failure.
  const errors: string[] = [];
  for (const [i, endpoint] of c.kvEndpoints().entries()) {
    const error = await readAt(c, h, endpoint, 4343 + i);
    if (error === undefined) return [];
    errors.push(error);
  }
  if (errors.every((e) => PARTIAL_NODE.test(e))) {
    h.bankTxn.finalSkipped = true;
    return [];
  }
  return errors.filter((e) => !PARTIAL_NODE.test(e)).slice(0, 3);
}

const PARTIAL_NODE = /holds only some/;

/** One attempt at `endpoint`; the error, if it failed. */
async function readAt(
  c: SimCluster,
  h: History,
  endpoint: string,
  seed: number,
): Promise<string | undefined> {
  const api = new TinyKvClient({
    endpoints: [endpoint],
    net: c.net.host("bank-checker"),
    clock: c.clock,
    seed,
    deadlineMs: 10_000,
    attemptTimeoutMs: 1000,
  });
  const call = c.clock.nowMs();
  try {
    const r = await api.txn({ success: ACCOUNT_KEYS.map((k) => ({ range: { key: utf8(k) } })) });
    const values = r.results.map((x) =>
      "range" in x && x.range.kvs.length > 0 ? fromUtf8(x.range.kvs[0].value) : ""
    );
    h.accountReads.push({ client: "final", call, ret: c.clock.nowMs(), values });
    return undefined;
  } catch (err) {
    return `final read of the accounts at ${endpoint}: ${errorMessage(err)}`;
  } finally {
    api.close();
  }
}
