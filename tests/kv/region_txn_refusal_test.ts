/**
 * Transactional requests a region refuses (src/kv/region_txn_apply.ts): as Raft commands, with
 * an outcome and nothing written — malformed bytes, bad input, another region's id, a stale
 * epoch, a key outside the range — and as reads after a ReadIndex (the same checks, a scan past
 * the region's end, more entries than TXN_SCAN_ENTRIES_MAX).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TXN_SCAN_ENTRIES_MAX } from "../../src/limits_ops.ts";
import {
  decodeRegionOutcome,
  encodeRegionCommand,
  type RegionOutcome,
} from "../../src/kv/region_command.ts";
import type { RegionEpoch } from "../../src/region/descriptor.ts";
import { decodeTxnReply, encodeTxnRequest } from "../../src/txn/txn_codec.ts";
import type { TxnWriteRequest } from "../../src/txn/txn_codec.ts";
import { TIMESTAMP_EPOCH_MS } from "../../src/txn/timestamp.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { dump } from "./kv_helpers.ts";
import { locksOn, threeRegions } from "./region_txn_cluster.ts";

const b = utf8;
const TS = (TIMESTAMP_EPOCH_MS - 1_700_000_000_000) * 2048 + 2 ** 40;
const V3: RegionEpoch = { version: 3, confVer: 1 }; // regions 2 and 3 after the second split
const NOW = TIMESTAMP_EPOCH_MS + 5_000;

function prewrite(keys: string[], o: Partial<{ ttl: number; startTs: number }> = {}) {
  return {
    kind: "prewrite",
    mutations: keys.map((k) => ({ kind: "put" as const, key: b(k), value: b("v") })),
    primary: b(keys[0]),
    startTs: o.startTs ?? TS,
    lockTtlMs: o.ttl ?? 1000,
    nowMs: NOW,
  } as const satisfies TxnWriteRequest;
}

function txn(regionId: number, epoch: RegionEpoch, request: Uint8Array): Uint8Array {
  return encodeRegionCommand({ kind: "txn", regionId, epoch, request });
}

test("region txn refusals: bad commands get an outcome and write nothing", async () => {
  const t = await threeRegions(21, 0);
  const propose = async (region: number, data: Uint8Array): Promise<RegionOutcome | undefined> =>
    decodeRegionOutcome(await t.c.propose(region, data));
  await t.c.settle(3);
  const before = await dump(t.c.node(1).db);
  const kinds: [string, RegionOutcome | undefined][] = [
    [
      "stale epoch",
      await propose(3, txn(3, { version: 2, confVer: 1 }, encodeTxnRequest(prewrite(["q"])))),
    ],
    ["outside", await propose(3, txn(3, V3, encodeTxnRequest(prewrite(["q", "a"]))))],
    ["wrong region", await propose(3, txn(2, V3, encodeTxnRequest(prewrite(["q"]))))],
    ["malformed", await propose(3, txn(3, V3, Uint8Array.of(1, 1, 0xff)))],
    ["ttl 0", await propose(3, txn(3, V3, encodeTxnRequest(prewrite(["q"], { ttl: 0 }))))],
    [
      "unstamped clock",
      await propose(3, txn(3, V3, encodeTxnRequest({ ...prewrite(["q"]), nowMs: 0 }))),
    ],
    ["duplicate", await propose(3, txn(3, V3, encodeTxnRequest(prewrite(["q", "q"]))))],
    [
      "commit before start",
      await propose(
        3,
        txn(
          3,
          V3,
          encodeTxnRequest({ kind: "commit", keys: [b("q")], startTs: TS, commitTs: TS - 1 }),
        ),
      ),
    ],
    [
      "empty key",
      await propose(
        3,
        txn(3, V3, encodeTxnRequest({ kind: "rollback", keys: [b("")], startTs: TS })),
      ),
    ],
  ];
  assert.deepEqual(kinds.map(([what, o]) => [what, o?.kind]), [
    ["stale epoch", "epoch-not-match"],
    ["outside", "key-not-in-region"],
    ["wrong region", "region-not-found"],
    ["malformed", "invalid"],
    ["ttl 0", "invalid"],
    ["unstamped clock", "invalid"],
    ["duplicate", "invalid"],
    ["commit before start", "invalid"],
    ["empty key", "key-not-in-region"],
  ]);
  const stale = kinds[0][1];
  if (stale?.kind === "epoch-not-match") assert.deepEqual(stale.current.epoch, V3);
  await t.c.settle(3);
  // Only region-local records (applied indexes, the refused entries' own) changed.
  const after = await dump(t.c.node(1).db);
  const userKeyed = (d: string[]) => d.filter((line) => !line.startsWith("16,"));
  assert.deepEqual(userKeyed(after), userKeyed(before), "nothing user-keyed written");
  // A good command after them applies: the region is not wedged.
  const ok = await propose(3, txn(3, V3, encodeTxnRequest(prewrite(["q", "r"]))));
  assert.equal(ok?.kind, "txn");
  if (ok?.kind === "txn") {
    assert.deepEqual(decodeTxnReply(ok.reply), { kind: "result", result: { ok: true } });
  }
  await t.c.settle(3);
  for (const n of [1, 2, 3]) assert.equal(locksOn(t, n), 2, `n${n}`);
});

test("region txn refusals: reads check the route, the range and TXN_SCAN_ENTRIES_MAX", async () => {
  const t = await threeRegions(22, 0);
  const routes = await t.routes();
  const three = routes[2];
  assert.deepEqual([three.id, three.start, three.end], [3, b("p"), b("")]);
  const read = (route = three, req: Parameters<typeof t.read>[1]) => t.read(route, req);
  const staleRoute = { ...three, epoch: { version: 2, confVer: 1 } };
  assert.equal((await read(staleRoute, { kind: "get", key: b("q"), ts: TS })).kind, "stale");
  assert.equal((await read(three, { kind: "get", key: b("a"), ts: TS })).kind, "stale");
  const two = routes[1];
  const past = { kind: "scan", range: { start: b("h"), end: b("z") }, ts: TS, limit: 10 } as const;
  assert.equal((await read(two, past)).kind, "stale", "a scan past the region's end");
  const inside = { ...past, range: { start: b("h"), end: b("p") } };
  assert.deepEqual(await read(two, inside), { kind: "scan", scan: { entries: [] } });
  const tooMany = { ...inside, limit: TXN_SCAN_ENTRIES_MAX + 1 };
  assert.equal((await read(two, tooMany)).kind, "invalid");
  assert.equal((await read(two, { ...inside, limit: TXN_SCAN_ENTRIES_MAX })).kind, "scan");
  assert.equal((await read(two, { kind: "get", key: b("i"), ts: -1 })).kind, "invalid");
  // A lock met by a read comes without its uncommitted value.
  await t.c.propose(3, txn(3, V3, encodeTxnRequest(prewrite(["q"]))));
  const met = await read(three, { kind: "get", key: b("q"), ts: TS + 1 });
  assert.ok(met.kind === "get" && met.get.kind === "locked", JSON.stringify(met));
  assert.deepEqual([met.get.lock.startTs, met.get.lock.value], [TS, new Uint8Array(0)]);
});
