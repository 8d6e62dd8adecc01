/**
 * The revision check after healing (revision_check.ts): read the whole change
 * history back from each node's state machine, in process, require every node
 * to hold the same one, and check every client operation against it. The
 * simulation never compacts the history, so it starts at revision 1.
 */
import type { KvStateMachine } from "../kv/state_machine.ts";
import { errorMessage } from "../util/errors.ts";
import type { History } from "./history.ts";
import { RevHistory } from "./rev_model.ts";
import { checkRevisions, type RevCheckReport } from "./revision_check.ts";
import type { SimCluster } from "./sim_cluster.ts";
import { checkExpiry, type TtlCheckReport } from "./ttl_check.ts";
import { TTL_PREFIX } from "./ttl_ops.ts";
import { checkBank } from "./bank_check.ts";
import { checkAccountReads } from "./bank_txn_check.ts";
import { COUNTER_PREFIX } from "./workload_keys.ts";
import { checkKeyRevisionOrder } from "./rev_order_check.ts";

const EVERY_KEY = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
const PAGE_EVENTS = 5000;
const PAGES_MAX = 100_000;

/** The node's whole history as text lines (one per change), for comparing nodes. */
export async function readAllHistory(kv: KvStateMachine): Promise<RevHistory> {
  const h = new RevHistory();
  const last = kv.revision;
  let from = Math.max(1, kv.compactedRevision);
  for (let page = 0; page < PAGES_MAX && from <= last; page++) {
    const p = await kv.readHistory(from, EVERY_KEY, { maxEvents: PAGE_EVENTS, prevKv: false });
    h.add(p.events);
    if (p.through < from) throw new Error(`history read made no progress at ${from}`);
    from = p.through + 1;
  }
  if (from <= last) throw new Error(`history not read to ${last} (stopped at ${from})`);
  return h;
}

function fingerprint(h: RevHistory): string {
  return h.revisions.map((r) =>
    h.changesAt(r).map((c) => `${r}${c.type[0]}${c.key}=${c.value}`).join(";")
  ).join("\n");
}

export interface RevisionOutcome {
  readonly report?: RevCheckReport;
  readonly errors: string[];
  /** The history checked (the first running node's). */
  readonly history?: RevHistory;
  /** The expiry check's verdict (its violations are also in `errors`). */
  readonly expiry?: TtlCheckReport;
}

/** Both banks' reads: the RESP one's pairs sum to 0, the transactions' accounts to the total. */
function bankErrors(h: History): string[] {
  return [
    ...checkBank(h.bankReads).map((v) => `bank: ${v}`),
    ...checkAccountReads(h.accountReads).map((v) => `bank txn: ${v}`),
  ];
}

/** Counters and keys with an expiry are not checked by revision (the expiry check's). */
function exempt(k: string): boolean {
  return k.startsWith(COUNTER_PREFIX) || k.startsWith(TTL_PREFIX);
}

/**
 * With regions: no history of the whole store exists (revisions are each region's), so each
 * key's revision order (rev_order_check.ts) and the bank reads are checked; no history is
 * returned, so the checks that read one (watches, leases, expiry, compaction) are not run.
 */
export function regionRevisionChecks(h: History): RevisionOutcome {
  const order = checkKeyRevisionOrder(h.revOps, exempt);
  const report: RevCheckReport = {
    ok: order.ok,
    violations: order.violations,
    fixed: 0,
    placed: order.placed,
  };
  return { report, errors: bankErrors(h) };
}

/** Reads every running node's history; they must be equal; checks the first one. */
export async function revisionChecks(c: SimCluster, h: History): Promise<RevisionOutcome> {
  const errors: string[] = [];
  let first: RevHistory | undefined, firstName = "", firstPrint = "";
  for (const n of c.nodes) {
    const kv = n.server?.node.kv;
    if (kv === undefined) continue;
    try {
      const nodeHistory = await readAllHistory(kv);
      const print = fingerprint(nodeHistory);
      if (first === undefined) [first, firstName, firstPrint] = [nodeHistory, n.name, print];
      else if (print !== firstPrint) errors.push(`history of ${n.name} differs from ${firstName}`);
    } catch (err) {
      errors.push(`history of ${n.name}: ${errorMessage(err)}`);
    }
  }
  if (first === undefined) return { errors: [...errors, "no node to read the history from"] };
  // TTL keys are the expiry check's: their expire writes repeat values, their deletes are the
  // sweeper's.
  const isTtlKey = (k: string) => k.startsWith(TTL_PREFIX);
  const report = checkRevisions(h.revOps, first, { exempt });
  const expiry = checkExpiry(h.ttlOps, first, isTtlKey);
  errors.push(...expiry.violations.map((v) => `expiry: ${v}`));
  errors.push(...bankErrors(h));
  return { report, errors, history: first, expiry };
}
