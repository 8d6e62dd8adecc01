import { test } from "node:test";
import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  CompareResult,
  CompareTarget,
  ErrorCode,
  type TxnRequestSchema,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { validateCommand } from "../../src/kv/command_codec.ts";
import { create } from "@bufbuild/protobuf";
import { CommandSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv, put } from "./kv_helpers.ts";

type TxnInit = MessageInitShape<typeof TxnRequestSchema>;
const txn = (t: TxnInit) => cmd({ body: { case: "txn", value: t } });
const putOp = (key: string, value: string, lease = 0n) => ({
  op: { case: "put" as const, value: { key: b(key), value: b(value), lease } },
});
const rangeOp = (key: string, rangeEnd: string) => ({
  op: { case: "range" as const, value: { key: b(key), rangeEnd: b(rangeEnd) } },
});
const delRange = (key: string, rangeEnd: string) => ({
  op: { case: "deleteRange" as const, value: { key: b(key), rangeEnd: b(rangeEnd), prevKv: true } },
});
const modIs = (key: string, rev: number) => ({
  key: b(key),
  target: CompareTarget.MOD_REVISION,
  result: CompareResult.EQUAL,
  operand: { case: "modRevision" as const, value: BigInt(rev) },
});

test("txn: the branch follows the compares, runs atomically at one revision, and says which ran", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("lock", "me"), put("x", "0")]);
  const [won, lost] = await applyAll(kv, [
    txn({
      compare: [modIs("lock", 1)],
      success: [putOp("x", "1"), putOp("y", "1")],
      failure: [rangeOp("x", "")],
    }),
    txn({ compare: [modIs("lock", 2)], success: [putOp("x", "2")], failure: [rangeOp("x", "")] }),
  ]);
  assert.equal(won.body.case, "txn");
  if (won.body.case !== "txn" || lost.body.case !== "txn") return;
  assert.equal(won.body.value.succeeded, true);
  assert.equal(won.body.value.revision, 3n);
  assert.equal(kv.get(b("y"))?.modRevision, 3);
  assert.equal(kv.get(b("x"))?.modRevision, 3, "both puts at the transaction's revision");
  assert.equal(lost.body.value.succeeded, false);
  assert.equal(lost.body.value.revision, 3n, "a read-only branch does not move the revision");
  const r = lost.body.value.results[0].result;
  assert.equal(r.case === "range" ? fromUtf8(r.value.kvs[0].value) : "", "1");
});

test("txn: compares on value, version, create revision and lease; a missing key's value never matches", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("k", "b"), put("k", "c")]);
  const cases: [
    CompareTarget,
    CompareResult,
    { case: "value"; value: Uint8Array } | {
      case: "version" | "createRevision" | "lease";
      value: bigint;
    },
    string,
    boolean,
  ][] = [
    [CompareTarget.VALUE, CompareResult.EQUAL, { case: "value", value: b("c") }, "k", true],
    [CompareTarget.VALUE, CompareResult.GREATER, { case: "value", value: b("a") }, "k", true],
    [CompareTarget.VALUE, CompareResult.LESS, { case: "value", value: b("a") }, "k", false],
    [
      CompareTarget.VALUE,
      CompareResult.NOT_EQUAL,
      { case: "value", value: b("x") },
      "missing",
      false,
    ],
    [CompareTarget.VERSION, CompareResult.EQUAL, { case: "version", value: 2n }, "k", true],
    [CompareTarget.VERSION, CompareResult.EQUAL, { case: "version", value: 0n }, "missing", true],
    [
      CompareTarget.CREATE_REVISION,
      CompareResult.LESS,
      { case: "createRevision", value: 2n },
      "k",
      true,
    ],
    [CompareTarget.LEASE, CompareResult.EQUAL, { case: "lease", value: 0n }, "k", true],
  ];
  for (const [target, result, operand, key, want] of cases) {
    const [o] = await applyAll(kv, [txn({ compare: [{ key: b(key), target, result, operand }] })]);
    assert.equal(
      o.body.case === "txn" && o.body.value.succeeded,
      want,
      `${target} ${result} ${key}`,
    );
  }
});

test("txn: ranges see the branch's own earlier writes; delete-range removes and reports", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("a/1", "x"), put("a/2", "x"), put("b", "x")]);
  const [o] = await applyAll(kv, [
    txn({
      success: [
        putOp("a/3", "new"),
        rangeOp("a/", "a0"),
        delRange("a/1", "a/3"),
        rangeOp("a/", "a0"),
      ],
    }),
  ]);
  assert.equal(o.body.case, "txn");
  if (o.body.case !== "txn") return;
  const [, before, deleted, after] = o.body.value.results.map((r) => r.result);
  assert.deepEqual(before.case === "range" ? before.value.kvs.map((kv) => fromUtf8(kv.key)) : [], [
    "a/1",
    "a/2",
    "a/3",
  ]);
  assert.equal(deleted.case === "deleteRange" ? deleted.value.deleted : -1n, 2n);
  assert.equal(deleted.case === "deleteRange" ? deleted.value.prevKvs.length : -1, 2);
  assert.deepEqual(after.case === "range" ? after.value.kvs.map((kv) => fromUtf8(kv.key)) : [], [
    "a/3",
  ]);
  assert.equal(kv.keyCount, 2);
  const events = kv.drainEvents().filter((e) => e.kv.modRevision === 4);
  assert.deepEqual(events.map((e) => `${e.type}:${fromUtf8(e.kv.key)}`), [
    "put:a/3",
    "delete:a/1",
    "delete:a/2",
  ]);
});

test("txn: malformed or oversized transactions are refused before the log, and at apply", async () => {
  const check = (t: TxnInit) =>
    validateCommand(create(CommandSchema, { body: { case: "txn", value: t } }));
  assert.match(
    check({ success: [putOp("a", "1"), putOp("a", "2")] })?.message ?? "",
    /duplicate key/,
  );
  assert.match(
    check({ success: [putOp("a/1", "1"), delRange("a/", "a0")] })?.message ?? "",
    /duplicate key/,
  );
  assert.match(check({ success: [rangeOp("b", "a")] })?.message ?? "", /range end/);
  assert.match(
    check({ compare: [{ key: b("k"), target: CompareTarget.VALUE, result: CompareResult.EQUAL }] })
      ?.message ?? "",
    /needs a value operand/,
  );
  assert.match(
    check({ compare: [{ key: b("k"), target: CompareTarget.VERSION }] })?.message ?? "",
    /needs a result/,
  );
  const many = Array.from({ length: 129 }, (_, i) => putOp(`k${i}`, "v"));
  assert.equal(check({ success: many })?.tooLarge, true);
  assert.equal(check({ success: [putOp("a", "1"), rangeOp("a", "")] }), undefined);
  const { kv } = await openKv();
  const [bad] = await applyAll(kv, [txn({ success: [putOp("a", "1"), putOp("a", "2")] })]);
  assert.equal(bad.error?.code, ErrorCode.INVALID_ARGUMENT);
  assert.equal(kv.get(b("a")), undefined, "nothing applied");
});

test("txn: a put on a missing lease fails the whole transaction and writes nothing", async () => {
  const { kv } = await openKv();
  const [o] = await applyAll(kv, [txn({ success: [putOp("a", "1"), putOp("b", "1", 42n)] })]);
  assert.equal(o.error?.code, ErrorCode.LEASE_NOT_FOUND);
  assert.equal(kv.get(b("a")), undefined);
  assert.equal(kv.revision, 0);
});
