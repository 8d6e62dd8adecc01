/**
 * A node's transport for transactions across regions (node_txn_sender.ts), without a cluster: a
 * stale answer of a region this node holds (the route came from the route cache, learned before
 * the replica came here or before a split it applied) forgets the cached route, so the next
 * request asks placement instead of meeting the same stale route on every try.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Net } from "../../src/platform/types.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { NodeTxnSender, type NodeTxnSenderDeps } from "../../src/server/node/node_txn_sender.ts";
import { RemoteRegions } from "../../src/server/node/remote_regions.ts";
import { utf8 } from "../../src/util/bytes.ts";

const NO_NET: Net = {
  listen: () => Promise.reject(new Error("not used")),
  connect: () => Promise.reject(new Error("no connection expected")),
};

test("node txn sender: a stale answer of a region held here forgets the cached route", async () => {
  const replicas = [{ nodeId: 1, role: "voter" as const }, { nodeId: 3, role: "voter" as const }];
  // The cache's route: region 7 before its split (wide range, old epoch).
  const stale = { id: 7, start: utf8("k"), end: utf8("m"), epoch: { version: 4, confVer: 2 } };
  let lookups = 0;
  const remote = new RemoteRegions({
    net: NO_NET,
    clock: getPlatform().clock,
    selfId: 3,
    requestTimeoutMs: 1000,
    route: () => (lookups++, Promise.resolve({ region: { ...stale, replicas }, leader: 3 })),
    addressOf: () => undefined,
  });
  assert.equal((await remote.locate(utf8("l1")))?.id, 7);
  assert.equal(lookups, 1);
  // This node leads region 7 now, split (its range no longer holds l1): it refuses the route.
  const held = { id: 7, group: { rawNode: { isLeader: true, lead: 3 } } };
  const deps = {
    o: { requestTimeoutMs: 1000, clock: getPlatform().clock },
    host: { region: (id: number) => id === 7 ? held : undefined },
    service: {
      serve: () =>
        Promise.reject(new ServiceError(ErrorCode.EPOCH_NOT_MATCH, "the region's epoch changed")),
    },
    remote,
  } as unknown as NodeTxnSenderDeps;
  const sender = new NodeTxnSender(deps);
  await assert.rejects(
    sender.sendRead(stale, new Uint8Array([4])),
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.EPOCH_NOT_MATCH,
  );
  await remote.locate(utf8("l1"));
  assert.equal(lookups, 2, "the cached route was forgotten: placement is asked again");
  remote.close();
  sender.close();
});
