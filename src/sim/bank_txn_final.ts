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
  const api = new TinyKvClient({
    endpoints: c.kvEndpoints(),
    net: c.net.host("bank-checker"),
    clock: c.clock,
    seed: 4343,
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
    return [];
  } catch (err) {
    return [`final read of the accounts: ${errorMessage(err)}`];
  } finally {
    api.close();
  }
}
