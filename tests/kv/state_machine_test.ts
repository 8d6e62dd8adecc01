import { test } from "node:test";
import assert from "node:assert/strict";
import { toBinary } from "@bufbuild/protobuf";
import {
  type ClientResponse,
  ClientResponseSchema,
  ErrorCode,
  PutCondition,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { Sessions } from "../../src/kv/sessions.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";
import { applyAll, b, cmd, dump, openKv, put } from "./kv_helpers.ts";

/** How dump() shows the start of a region-1 session key (0x10, region 1, kind 0x01). */
const SESSION_DUMP = "16,0,0,0,0,0,0,0,1,1,";
const text = (v: { value: Uint8Array } | undefined) => v && fromUtf8(v.value);

test("kv: put/get/delete/batch keep values with their write's index as mod revision", async () => {
  const { kv } = await openKv();
  const [p, d, bt] = await applyAll(kv, [
    put("a", "1"),
    cmd({ body: { case: "delete", value: { key: b("a") } } }),
    cmd({
      body: {
        case: "batch",
        value: {
          ops: [
            { op: { case: "put", value: { key: b("x"), value: b("X") } } },
            { op: { case: "put", value: { key: b("y"), value: b("Y") } } },
            { op: { case: "delete", value: { key: b("nope") } } },
          ],
        },
      },
    }),
  ]);
  assert.equal(p.body.case, "write");
  assert.equal(p.body.value?.index, 1n);
  assert.equal(d.body.case === "write" && d.body.value.existed, true);
  assert.equal(bt.body.case === "write" && bt.body.value.deleted, 0);
  assert.equal(kv.get(b("a")), undefined);
  assert.equal(text(kv.get(b("x"))), "X");
  assert.equal(kv.get(b("y"))?.modRevision, 3);
  assert.equal(kv.appliedIndex, 3);
});

test("kv: SET NX/XX, SET GET, compare-and-set by value and version", async () => {
  const { kv } = await openKv();
  const nx = (v: string) =>
    put("k", v, {
      body: { case: "put", value: { key: b("k"), value: b(v), condition: PutCondition.IF_ABSENT } },
    });
  const [first, second] = await applyAll(kv, [nx("1"), nx("2")]);
  assert.equal(first.body.case === "write" && first.body.value.applied, true);
  assert.equal(second.body.case === "write" && second.body.value.applied, false);
  assert.equal(text(kv.get(b("k"))), "1");
  const [xx, get] = await applyAll(kv, [
    cmd({
      body: {
        case: "put",
        value: { key: b("absent"), value: b("v"), condition: PutCondition.IF_PRESENT },
      },
    }),
    cmd({ body: { case: "put", value: { key: b("k"), value: b("3"), returnPrevious: true } } }),
  ]);
  assert.equal(xx.body.case === "write" && xx.body.value.applied, false);
  assert.equal(kv.get(b("absent")), undefined);
  assert.equal(get.body.case === "write" && fromUtf8(get.body.value.previousValue), "1");
  const version = kv.get(b("k"))?.modRevision ?? -1;
  const cas = (
    expect: { case: "expectedValue"; value: Uint8Array } | {
      case: "expectedModRevision";
      value: bigint;
    },
    v: string,
  ) =>
    cmd({
      body: {
        case: "compareAndSet",
        value: { key: b("k"), expect, action: { case: "newValue", value: b(v) } },
      },
    });
  const [bad, good, byVersion] = await applyAll(kv, [
    cas({ case: "expectedValue", value: b("wrong") }, "no"),
    cas({ case: "expectedValue", value: b("3") }, "4"),
    cas({ case: "expectedModRevision", value: BigInt(version) }, "stale"),
  ]);
  assert.equal(bad.body.case === "write" && bad.body.value.applied, false);
  assert.equal(good.body.case === "write" && good.body.value.applied, true);
  assert.equal(byVersion.body.case === "write" && byVersion.body.value.applied, false);
  assert.equal(text(kv.get(b("k"))), "4");
});

test("kv: INCRBY follows Redis integer rules and refuses overflow without changing data", async () => {
  const { kv } = await openKv();
  const incr = (key: string, delta: bigint) =>
    cmd({ body: { case: "increment", value: { key: b(key), delta } } });
  const [one, two, notInt, overflow] = await applyAll(kv, [
    incr("n", 1n),
    incr("n", 41n),
    put("s", "abc"),
    incr("n", 2n ** 63n - 1n),
  ]);
  assert.equal(one.body.case === "write" && one.body.value.counter, 1n);
  assert.equal(two.body.case === "write" && two.body.value.counter, 42n);
  assert.equal(notInt.body.case, "write");
  assert.equal(overflow.error?.code, ErrorCode.INVALID_ARGUMENT);
  assert.match(overflow.error?.message ?? "", /overflow/);
  const [bad] = await applyAll(kv, [incr("s", 1n)]);
  assert.match(bad.error?.message ?? "", /not an integer/);
  assert.equal(text(kv.get(b("n"))), "42");
});

test("kv: a retried (client, sequence) returns the saved outcome and applies once", async () => {
  const { kv } = await openKv();
  const w = (seq: number, value: string, acked = 0) =>
    put("k", value, { clientId: 7n, sequence: BigInt(seq), ackedSequence: BigInt(acked) });
  const [a, again] = await applyAll(kv, [w(1, "first"), w(1, "first")]);
  assert.deepEqual(again, a, "the duplicate returns the first outcome");
  assert.equal(kv.get(b("k"))?.version, 1, "the duplicate did not write");
  await applyAll(kv, [w(2, "second", 1)]);
  const [forgotten] = await applyAll(kv, [w(1, "late retry")]);
  assert.equal(
    forgotten.error?.code,
    ErrorCode.INVALID_ARGUMENT,
    "acknowledged sequences are gone",
  );
  assert.equal(text(kv.get(b("k"))), "second");
});

test("kv: client ids past 2^53 are refused, never rounded into another client's session", async () => {
  const { kv } = await openKv();
  // Both round to the same Number (2^53): rounded, the second would get the first's outcome.
  const [a, c] = [2n ** 53n, 2n ** 53n + 1n];
  assert.equal(Number(a), Number(c));
  const [first, second] = await applyAll(kv, [
    put("a", "A", { clientId: a, sequence: 1n }),
    put("c", "C", { clientId: c, sequence: 1n }),
  ]);
  for (const outcome of [first, second]) {
    assert.equal(outcome.error?.code, ErrorCode.INVALID_ARGUMENT);
    assert.match(outcome.error?.message ?? "", /client id 900719925474099[23] exceeds 2\^53/);
  }
  assert.equal(kv.get(b("a")), undefined);
  assert.equal(kv.get(b("c")), undefined);
  const [seq, acked, version] = await applyAll(kv, [
    put("s", "S", { clientId: 5n, sequence: 2n ** 60n }),
    put("s", "S", { clientId: 5n, sequence: 1n, ackedSequence: 2n ** 60n }),
    cmd({
      body: {
        case: "compareAndSet",
        value: {
          key: b("s"),
          expect: { case: "expectedModRevision", value: 2n ** 53n + 1n },
          action: { case: "delete", value: true },
        },
      },
    }),
  ]);
  assert.match(seq.error?.message ?? "", /^sequence \d+ exceeds 2\^53/);
  assert.match(acked.error?.message ?? "", /^acked sequence \d+ exceeds 2\^53/);
  assert.match(version.error?.message ?? "", /^expected mod revision \d+ exceeds 2\^53/);
  assert.equal(kv.get(b("s")), undefined);
});

test("kv: applied index, data and sessions survive close and reopen; replays are skipped", async () => {
  const world = createSimWorld(3);
  const { db, kv } = await openKv(world);
  const w = put("k", "v", { clientId: 9n, sequence: 5n });
  const [, saved] = await applyAll(kv, [put("a", "1"), w]);
  await db.close();
  const db2 = await Db.open(world.fs, "kv", { wal: false });
  const kv2 = await KvStateMachine.open(db2);
  assert.equal(kv2.appliedIndex, 2);
  const replay = await kv2.apply([{ index: 1, data: put("a", "changed") }, { index: 2, data: w }]);
  assert.equal(replay.size, 0, "entries at or below the applied index are not re-applied");
  assert.equal(text(kv2.get(b("a"))), "1");
  const [retry] = await applyAll(kv2, [w]);
  assert.deepEqual(retry, saved, "the session survived the restart");
  await db2.close();
});

test("kv: a crash before the engine flushes loses data and applied index together", async () => {
  const world = createSimWorld(4);
  const { db, kv } = await openKv(world);
  await applyAll(kv, [put("a", "1"), put("b", "2")]);
  await db.flush();
  await applyAll(kv, [put("c", "3")]);
  world.fs.crash("lose");
  const kv2 = await KvStateMachine.open(await Db.open(world.fs, "kv", { wal: false }));
  assert.equal(kv2.appliedIndex, 2, "the engine is back at its last flush");
  assert.equal(kv2.get(b("c")), undefined);
  assert.equal(text(kv2.get(b("b"))), "2");
});

test("kv: a malformed entry gets an error outcome and changes nothing but the index", async () => {
  const { kv, db } = await openKv();
  const before = await dump(db);
  const [bad] = await applyAll(kv, [new Uint8Array([0xff, 0xff, 0xff])]);
  assert.equal(bad.error?.code, ErrorCode.INVALID_ARGUMENT);
  const meta = (l: string) => l.startsWith("0,") || l.startsWith("16,0,0,0,0,0,0,0,1,0,");
  const after = (await dump(db)).filter((l) => !meta(l));
  assert.deepEqual(after, before.filter((l) => !meta(l)));
  assert.equal(kv.appliedIndex, 1);
});

test("kv: replicas fed the same random log end byte-identical, sessions evicted alike", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const prng = createPrng(seed);
    const log: (Uint8Array | null)[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `k${prng.int(20)}`;
      const client = BigInt(1 + prng.int(12));
      const seq = BigInt(1 + prng.int(30));
      const roll = prng.int(10);
      if (roll === 0) log.push(null);
      else if (roll < 6) log.push(put(key, `v${i}`, { clientId: client, sequence: seq }));
      else if (roll < 8) log.push(cmd({ body: { case: "delete", value: { key: b(key) } } }));
      else {log.push(
          cmd({ body: { case: "increment", value: { key: b(`n${prng.int(3)}`), delta: 1n } } }),
        );}
    }
    const replicas = [];
    for (let r = 0; r < 2; r++) {
      const { db, kv } = await openKv(createSimWorld(100 + r), new Sessions(5, 3));
      // Different batching of the same log must not matter.
      for (let at = 0; at < log.length;) {
        const n = 1 + (r === 0 ? 299 : prng.int(10));
        await kv.apply(log.slice(at, at + n).map((data, i) => ({ index: at + i + 1, data })));
        at += n;
      }
      replicas.push(await dump(db));
    }
    assert.deepEqual(replicas[0], replicas[1], `seed ${seed}`);
  }
});

test("kv: the key count follows puts, overwrites, deletes and batches, and survives reopen", async () => {
  const world = createSimWorld(8);
  const { db, kv } = await openKv(world);
  await applyAll(kv, [
    put("a", "1"),
    put("a", "2"),
    put("b", "1"),
    cmd({ body: { case: "delete", value: { key: b("a") } } }),
    cmd({ body: { case: "delete", value: { key: b("zz") } } }),
    cmd({
      body: {
        case: "batch",
        value: {
          ops: [
            { op: { case: "put", value: { key: b("c"), value: b("") } } },
            { op: { case: "put", value: { key: b("c"), value: b("again") } } },
            { op: { case: "delete", value: { key: b("b") } } },
            { op: { case: "put", value: { key: b("d"), value: b("") } } },
          ],
        },
      },
    }),
  ]);
  assert.equal(kv.keyCount, 2);
  await db.close();
  const kv2 = await KvStateMachine.open(await Db.open(world.fs, "kv", { wal: false }));
  assert.equal(kv2.keyCount, 2);
});

test("kv: a client's outcomes live in its one session record; older outcome keys still load", async () => {
  const world = createSimWorld(5);
  const { db, kv } = await openKv(world);
  const writes = [1n, 2n, 3n].map((seq) => put(`k${seq}`, "v", { clientId: 7n, sequence: seq }));
  const saved = await applyAll(kv, writes);
  const sessionKeys = (await dump(db)).filter((l) => l.startsWith(SESSION_DUMP));
  assert.equal(sessionKeys.length, 1, "one engine record per client, not one per outcome");
  // An older build's layout: a head without outcomes plus one key per outcome.
  const ws = [
    { type: "put" as const, key: regionKeys().session(8), value: legacyHead(0, 4) },
    { type: "put" as const, key: regionKeys().result(8, 1), value: encodedOutcome(saved[0]) },
  ];
  await db.write(ws);
  await db.close();
  const db2 = await Db.open(world.fs, "kv", { wal: false });
  const kv2 = await KvStateMachine.open(db2);
  const [retry7, retry8] = await applyAll(kv2, [
    writes[2],
    put("k1", "v", {
      clientId: 8n,
      sequence: 1n,
    }),
  ]);
  assert.deepEqual(retry7, saved[2], "outcome from the session record");
  assert.deepEqual(retry8, saved[0], "outcome from an older per-outcome key");
  await applyAll(kv2, [put("z", "v", { clientId: 8n, sequence: 2n, ackedSequence: 1n })]);
  const left = (await dump(db2)).filter((l) => l.startsWith(SESSION_DUMP));
  assert.equal(left.length, 2, "the older outcome key was deleted once its session was written");
  await db2.close();
});

function legacyHead(floor: number, lastActiveIndex: number): Uint8Array {
  return new Uint8Array([floor, lastActiveIndex]); // two one-byte varints
}

function encodedOutcome(r: ClientResponse): Uint8Array {
  return toBinary(ClientResponseSchema, r);
}
