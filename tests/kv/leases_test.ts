import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { Db } from "../../src/storage/db.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv } from "./kv_helpers.ts";

const grant = (ttlSeconds: number, id = 0n) =>
  cmd({ body: { case: "leaseGrant", value: { ttlSeconds, id } } });
const revoke = (id: number) => cmd({ body: { case: "leaseRevoke", value: { id: BigInt(id) } } });
const putL = (key: string, lease: number) =>
  cmd({ body: { case: "put", value: { key: b(key), value: b("v"), lease: BigInt(lease) } } });

test("leases: a grant takes the entry's index as id; keys attach; revoke deletes them at one revision", async () => {
  const { kv } = await openKv();
  const [g] = await applyAll(kv, [grant(10)]);
  assert.equal(g.body.case === "lease" ? g.body.value.lease?.id : 0n, 1n);
  await applyAll(kv, [putL("a", 1), putL("b", 1), putL("c", 0)]);
  assert.equal(kv.get(b("a"))?.lease, 1);
  assert.deepEqual((await kv.leaseKeys(1)).map(fromUtf8), ["a", "b"]);
  await applyAll(kv, [putL("b", 0)]); // a put without the lease detaches the key
  assert.deepEqual((await kv.leaseKeys(1)).map(fromUtf8), ["a"]);
  kv.drainEvents();
  const [r] = await applyAll(kv, [revoke(1)]);
  assert.equal(r.error, undefined);
  assert.equal(kv.get(b("a")), undefined);
  assert.equal(kv.get(b("b"))?.lease, 0, "the detached key stays");
  assert.equal(kv.leaseTable.size, 0);
  const events = kv.drainEvents();
  assert.deepEqual(events.map((e) => `${e.type}:${fromUtf8(e.kv.key)}@${e.kv.modRevision}`), [
    "delete:a@6",
  ]);
  const [again] = await applyAll(kv, [revoke(1)]);
  assert.equal(again.error?.code, ErrorCode.LEASE_NOT_FOUND);
});

test("leases: a put on an unknown lease is refused and changes nothing; ids cannot be granted twice", async () => {
  const { kv } = await openKv();
  const [p] = await applyAll(kv, [putL("a", 7)]);
  assert.equal(p.error?.code, ErrorCode.LEASE_NOT_FOUND);
  assert.equal(kv.get(b("a")), undefined);
  const [, dup] = await applyAll(kv, [grant(5, 9n), grant(5, 9n)]);
  assert.equal(dup.error?.code, ErrorCode.FAILED_PRECONDITION);
  const [bad] = await applyAll(kv, [grant(0)]);
  assert.equal(bad.error?.code, ErrorCode.INVALID_ARGUMENT);
});

test("leases: the table and attachments persist across a reopen", async () => {
  const { kv, db, world } = await openKv();
  await applyAll(kv, [grant(30), putL("a", 1), putL("b", 1)]);
  await db.flush();
  await db.close();
  const again = await KvStateMachine.open(await Db.open(world.fs, "kv", { wal: false }));
  assert.deepEqual(again.leaseTable.list(), [{ id: 1, ttlSeconds: 30 }]);
  const [r] = await applyAll(again, [revoke(1)]);
  assert.equal(r.error, undefined);
  assert.equal(again.keyCount, 0);
});
