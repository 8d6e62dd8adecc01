/**
 * What a node refuses of a `txn` or `batch` across regions before it starts the transaction
 * (src/server/node/cross_region_txn.ts): more than TXN_CROSS_REGION_KEYS_MAX distinct keys
 * or TXN_CROSS_REGION_BYTES_MAX bytes written (TOO_LARGE), a range over several keys and puts with a lease, an expiry or a condition
 * (FAILED_PRECONDITION). Nothing is asked of the oracle or any region for them. A start timestamp
 * or reads refused for a passing reason are asked for again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  BatchRequestSchema,
  ErrorCode,
  TxnRequestSchema,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  TXN_CROSS_REGION_ATTEMPTS,
  TXN_CROSS_REGION_BYTES_MAX,
  TXN_CROSS_REGION_KEYS_MAX,
} from "../../src/limits_ops.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import {
  crossRegionBatch,
  crossRegionTxn,
  type CrossRegionTxnDeps,
} from "../../src/server/node/cross_region_txn.ts";
import { utf8 } from "../../src/util/bytes.ts";

/** Deps that fail the test if the transaction starts. */
const UNUSED: CrossRegionTxnDeps = {
  env: () => {
    throw new Error("the transaction started");
  },
  read: () => Promise.reject(new Error("a key was read")),
};

const refusedWith = (code: ErrorCode) => (e: unknown) =>
  e instanceof ServiceError && e.code === code;

test("cross-region txn: a batch over the key limit is TOO_LARGE; at the limit it starts", async () => {
  const put = (i: number) => ({ op: { case: "put" as const, value: { key: utf8(`k${i}`) } } });
  const over = Array.from({ length: TXN_CROSS_REGION_KEYS_MAX + 1 }, (_, i) => put(i));
  await assert.rejects(
    crossRegionBatch(UNUSED, create(BatchRequestSchema, { ops: over })),
    refusedWith(ErrorCode.TOO_LARGE),
  );
  // The same key many times counts once: the limit is on distinct keys.
  const same = Array.from({ length: TXN_CROSS_REGION_KEYS_MAX + 1 }, () => put(1));
  await assert.rejects(
    crossRegionBatch(UNUSED, create(BatchRequestSchema, { ops: same })),
    /the transaction started/,
  );
});

test("cross-region txn: a batch writing more than the byte limit is TOO_LARGE", async () => {
  const half = new Uint8Array(TXN_CROSS_REGION_BYTES_MAX / 2);
  const put = (k: string) => ({
    op: { case: "put" as const, value: { key: utf8(k), value: half } },
  });
  await assert.rejects(
    crossRegionBatch(UNUSED, create(BatchRequestSchema, { ops: [put("a"), put("b")] })),
    refusedWith(ErrorCode.TOO_LARGE),
  );
  // Within it, the transaction starts.
  const small = { op: { case: "put" as const, value: { key: utf8("a"), value: half } } };
  await assert.rejects(
    crossRegionBatch(UNUSED, create(BatchRequestSchema, { ops: [small] })),
    /the transaction started/,
  );
});

test("cross-region txn: ranges over several keys and special puts are FAILED_PRECONDITION", async () => {
  const txn = (op: object) => create(TxnRequestSchema, { success: [{ op } as never] });
  const cases = [
    { case: "range", value: { key: utf8("a"), rangeEnd: utf8("z") } },
    { case: "deleteRange", value: { key: utf8("a"), rangeEnd: new Uint8Array([0]) } },
    { case: "put", value: { key: utf8("a"), lease: 7n } },
    { case: "put", value: { key: utf8("a"), ttlMs: 1000n } },
    { case: "put", value: { key: utf8("a"), returnPrevious: true } },
    { case: "put", value: { key: utf8("a"), expireAtMs: 99n } },
    { case: "put", value: { key: utf8("a"), keepTtl: true } },
    { case: "put", value: { key: utf8("a"), condition: 1 } },
  ];
  for (const op of cases) {
    await assert.rejects(
      crossRegionTxn(UNUSED, txn(op)),
      refusedWith(ErrorCode.FAILED_PRECONDITION),
      JSON.stringify(op, (_, v) => typeof v === "bigint" ? String(v) : v),
    );
  }
});

test("cross-region txn: reads refused for a passing reason are tried again at a new timestamp", async () => {
  let stamps = 0;
  let reads = 0;
  const env = {
    timestamp: () => Promise.resolve(++stamps * 10),
    sleep: () => Promise.resolve(),
    nowMs: () => 0,
  } as unknown as TxnEnv;
  const refusing: CrossRegionTxnDeps = {
    env: () => env,
    read: () => {
      reads++;
      const split = "a region split while the read waited; retry";
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, split));
    },
  };
  const put = (k: string) => ({ op: { case: "put" as const, value: { key: utf8(k) } } });
  const batch = create(BatchRequestSchema, { ops: [put("a"), put("b")] });
  await assert.rejects(
    crossRegionBatch(refusing, batch),
    (e: unknown) => refusedWith(ErrorCode.UNAVAILABLE)(e) && /split/.test((e as Error).message),
  );
  assert.equal(reads, TXN_CROSS_REGION_ATTEMPTS, "every attempt read again");
  assert.equal(stamps, TXN_CROSS_REGION_ATTEMPTS, "each at a new start timestamp");
  // Anything else the read throws is not retried.
  reads = 0;
  const broken: CrossRegionTxnDeps = {
    env: () => env,
    read: () => {
      reads++;
      return Promise.reject(new ServiceError(ErrorCode.TIMEOUT, "broken"));
    },
  };
  await assert.rejects(crossRegionBatch(broken, batch), refusedWith(ErrorCode.TIMEOUT));
  assert.equal(reads, 1);
});

test("cross-region txn: a start timestamp refused for a passing reason is asked for again", async () => {
  let stamps = 0;
  const env = {
    // The oracle's leader is changing: the first answer is a refusal, the second a timestamp.
    timestamp: () =>
      ++stamps === 1
        ? Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "not the placement leader"))
        : Promise.resolve(stamps * 10),
    sleep: () => Promise.resolve(),
    nowMs: () => 0,
  } as unknown as TxnEnv;
  let readAt = 0;
  const deps: CrossRegionTxnDeps = {
    env: () => env,
    read: (_keys, ts) => {
      readAt = ts;
      return Promise.reject(new Error("read"));
    },
  };
  const txn = create(TxnRequestSchema, {
    compare: [{ key: utf8("a") }],
    success: [{ op: { case: "put", value: { key: utf8("b") } } }],
  });
  await assert.rejects(crossRegionTxn(deps, txn), /^Error: read$/);
  assert.deepEqual([stamps, readAt], [2, 20], "read at the second timestamp");
});
