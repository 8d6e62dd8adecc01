import { test } from "node:test";
import assert from "node:assert/strict";
import { scanPage, validateScan } from "../../src/kv/kv_scan.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, openKv, put } from "./kv_helpers.ts";

async function setup() {
  const { db, kv } = await openKv();
  const keys = ["a", "app", "apple", "apply", "b", "ba", "c"];
  await applyAll(kv, keys.map((k) => put(k, k.toUpperCase())));
  return { db, keys };
}

const keysOf = (page: { items: { key: Uint8Array }[] }) => page.items.map((i) => fromUtf8(i.key));

test("kv scan: prefix, range, reverse and offset", async () => {
  const { db } = await setup();
  assert.deepEqual(keysOf(await scanPage(db, { prefix: b("app") })), ["app", "apple", "apply"]);
  assert.deepEqual(keysOf(await scanPage(db, { start: b("apple"), end: b("ba") })), [
    "apple",
    "apply",
    "b",
  ]);
  assert.deepEqual(keysOf(await scanPage(db, { prefix: b("a"), reverse: true })), [
    "apply",
    "apple",
    "app",
    "a",
  ]);
  assert.deepEqual(keysOf(await scanPage(db, { offset: 5, limit: 10 })), ["ba", "c"]);
  const page = await scanPage(db, { prefix: b("b") });
  assert.equal(page.items[0].modRevision, 5);
  assert.equal(fromUtf8(page.items[0].value), "B");
  assert.match(validateScan({ limit: 1e9 }) ?? "", /limit/);
});

test("kv scan: cursor pages cover every key exactly once, forward and reverse", async () => {
  const { db, keys } = await setup();
  for (const reverse of [false, true]) {
    for (const limit of [1, 2, 3, 7, 100]) {
      const seen: string[] = [];
      let cursor: Uint8Array | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await scanPage(db, { limit, cursor, reverse });
        seen.push(...keysOf(page));
        cursor = page.nextCursor;
        if (cursor === undefined) break;
      }
      assert.deepEqual(
        seen,
        reverse ? [...keys].reverse() : keys,
        `limit ${limit} reverse ${reverse}`,
      );
    }
  }
});
