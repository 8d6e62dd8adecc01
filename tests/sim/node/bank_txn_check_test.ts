/**
 * The protobuf bank of the simulation (src/sim/bank_txn_ops.ts, bank_txn_check.ts): every read
 * of all the accounts finds none (before the opening) or all summing to the total; the
 * workload records what a transaction read as a read of every account, and a transfer as
 * compare-and-sets of its two accounts (or, when its compare failed, reads of them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TinyKvClient, TxnResult, TxnSpec } from "../../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../../src/client/errors.ts";
import { SimTrace } from "../../../src/platform/sim/sim_trace.ts";
import {
  ACCOUNT_KEYS,
  ACCOUNT_OPENING,
  ACCOUNTS_TOTAL,
  checkAccountReads,
} from "../../../src/sim/bank_txn_check.ts";
import { runBankOp, TxnBank } from "../../../src/sim/bank_txn_ops.ts";
import { History } from "../../../src/sim/history.ts";
import { WorkloadKeys } from "../../../src/sim/workload_keys.ts";
import { fromUtf8, toBytes, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

const read = (values: string[]) => ({ client: "c1", call: 1, ret: 2, values });
const opened = ACCOUNT_KEYS.map((_, i) => `${ACCOUNT_OPENING}:v${i}`);

test("bank txn: reads of every account sum to the total or find none", () => {
  const moved = [...opened];
  moved[0] = `${ACCOUNT_OPENING - 7}:v10`;
  moved[5] = `${ACCOUNT_OPENING + 7}:v11`;
  const none = ACCOUNT_KEYS.map(() => "");
  assert.deepEqual(checkAccountReads([read(none), read(opened), read(moved)]), []);

  const torn = [...opened];
  torn[0] = `${ACCOUNT_OPENING - 7}:v10`; // one half of a transfer
  assert.match(checkAccountReads([read(torn)]).join(), new RegExp(`sum ${ACCOUNTS_TOTAL - 7}`));
  const partly = [...opened];
  partly[3] = "";
  assert.match(checkAccountReads([read(partly)]).join(), /some accounts absent/);
  assert.match(checkAccountReads([read(opened.slice(1))]).join(), /read 7 accounts/);
});

/** A node that answers every `txn` with `answer(spec)` and keeps what it was asked. */
function fakeApi(answer: (spec: TxnSpec) => TxnResult) {
  const asked: TxnSpec[] = [];
  const api = {
    txn: (spec: TxnSpec) => {
      asked.push(spec);
      return Promise.resolve(answer(spec));
    },
  };
  return { asked, api: api as unknown as TinyKvClient };
}

function context(api: TinyKvClient, bank = new TxnBank()) {
  let values = 0;
  return {
    client: "c1",
    api,
    history: new History(new SimTrace({ enabled: false })),
    keys: new WorkloadKeys(1, 1),
    prng: createPrng(7),
    now: () => 0,
    wallMs: () => 0,
    freshValue: () => `w${++values}`,
    bank,
  };
}

const entry = (key: string, value: string) => ({
  key: utf8(key),
  value: utf8(value),
  version: 1,
  modRevision: 5,
  createRevision: 5,
  lease: 0,
  expireAtMs: 0,
});

test("bank txn: the opening's failure branch is a read of every account, checked", async () => {
  // The node answers the opening's compares failed, and reads a total one short.
  const short = [...opened];
  short[2] = `${ACCOUNT_OPENING - 1}:v2`;
  const { asked, api } = fakeApi(() => ({
    succeeded: false,
    revision: 9,
    results: ACCOUNT_KEYS.map((k, i) => ({
      range: { kvs: [entry(k, short[i])], more: false, count: 1 },
    })),
  }));
  const x = context(api);
  await runBankOp(x);
  assert.equal(asked[0].compare?.length, ACCOUNT_KEYS.length, "it opened the accounts");
  assert.equal(x.history.accountReads.length, 1);
  assert.match(checkAccountReads(x.history.accountReads).join(), /sum 799/);
  // Each account entered the per-key check as a read, and the bank saw the values.
  assert.equal(x.history.ops.filter((o) => o.kind === "get").length, ACCOUNT_KEYS.length);
  assert.equal(x.bank.seen(ACCOUNT_KEYS[2]), short[2]);
});

test("bank txn: a transfer compares both accounts and moves an amount between them", async () => {
  const bank = new TxnBank();
  ACCOUNT_KEYS.forEach((k, i) => bank.observe(k, opened[i]));
  const { asked, api } = fakeApi(() => ({ succeeded: true, revision: 11, results: [] }));
  const x = context(api, bank);
  for (let i = 0; i < 20 && x.history.bankTxn.transfers === 0; i++) await runBankOp(x);
  const spec = asked.find((s) => (s.compare?.length ?? 0) === 2);
  assert.ok(spec !== undefined, "a transfer was sent");
  const puts = (spec.success ?? []).flatMap((o) => "put" in o ? [o.put] : []);
  assert.equal(puts.length, 2);
  const amount = (v: string) => Number(v.split(":")[0]);
  const sum = puts.reduce((s, p) => s + amount(fromUtf8(toBytes(p.value))), 0);
  assert.equal(sum, 2 * ACCOUNT_OPENING, "the two new balances keep the pair's sum");
  const cas = x.history.ops.filter((o) => o.kind === "cas");
  assert.equal(cas.length, 2);
  assert.ok(cas.every((o) => o.applied === true && o.expected?.startsWith("100:")));
});

test("bank txn: a transfer of unknown outcome may have applied; one that failed did not", async () => {
  const bank = new TxnBank();
  ACCOUNT_KEYS.forEach((k, i) => bank.observe(k, opened[i]));
  const timeout = new TinyKvError("TIMEOUT", "lost", true);
  const { api } = fakeApi(() => {
    throw timeout;
  });
  const x = context(api, bank);
  for (let i = 0; i < 20 && x.history.bankTxn.unknown === 0; i++) await runBankOp(x);
  assert.equal(x.history.bankTxn.unknown, 1);
  const unknown = x.history.ops.filter((o) => o.kind === "cas");
  assert.ok(unknown.length === 2 && unknown.every((o) => o.ret === Infinity));
  assert.ok(x.history.revOps.some((o) => o.outcome === "unknown" && o.ret === Infinity));
});
