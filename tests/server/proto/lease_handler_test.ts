import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  type ClientRequest,
  ClientRequestSchema,
  type ClientResponse,
  ClientResponseSchema,
  ErrorCode,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../../src/client/connection.ts";
import type { CommandInit } from "../../../src/kv/command_codec.ts";
import { LEASE_TTL_SECONDS_MAX } from "../../../src/limits.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { LeaseKeeper, type LeaseRecord } from "../../../src/server/leases/lease_keeper.ts";
import { type LeaderRoute, LeaseService } from "../../../src/server/node/lease_service.ts";
import { handleLease, isLeaseBody } from "../../../src/server/proto/lease_handler.ts";
import { mapLeaseSource } from "../leases/map_lease_source.ts";

interface Fixture {
  readonly table: Map<number, LeaseRecord>;
  readonly executed: CommandInit[];
  readonly forwarded: RequestBody[];
  readonly keeper: LeaseKeeper;
  readonly service: LeaseService;
  route: LeaderRoute;
  forwardAnswer: () => ClientResponse;
}

function fixture(): Fixture {
  const clock = new SimClock();
  const table = new Map<number, LeaseRecord>();
  const source = mapLeaseSource(table);
  const keeper = new LeaseKeeper({
    clock,
    leases: () => source,
    propose: () => Promise.resolve(),
    minTtlSeconds: 3,
    checkIntervalMs: 100,
  });
  const f: Fixture = {
    table,
    executed: [],
    forwarded: [],
    keeper,
    route: { kind: "unknown" },
    forwardAnswer: () => create(ClientResponseSchema, {}),
    service: new LeaseService({
      keeper,
      execute: (command) => {
        f.executed.push(command);
        const b = command.body;
        if (b?.case === "leaseGrant") {
          const id = Number(b.value.id ?? 0n) || 100;
          table.set(id, { id, ttlSeconds: b.value.ttlSeconds ?? 0 });
          const lease = { id: BigInt(id), grantedTtlSeconds: b.value.ttlSeconds };
          return Promise.resolve(response({ lease, revision: 4n }).body);
        }
        return Promise.resolve(response({ revision: 5n }).body);
      },
      leaseKeys: (id) => Promise.resolve([new TextEncoder().encode(`key-of-${id}`)]),
      leader: () => f.route,
      forward: (_address, body) => {
        f.forwarded.push(body);
        return Promise.resolve(f.forwardAnswer());
      },
      timeoutMs: 1000,
      revision: () => 9,
    }),
  };
  return f;
}

function response(lease: Record<string, unknown>): ClientResponse {
  return create(ClientResponseSchema, { body: { case: "lease", value: lease } });
}

function request(body: RequestBody, session = { clientId: 0n, sequence: 0n }): ClientRequest {
  return create(ClientRequestSchema, { body, ...session });
}

async function handle(f: Fixture, req: ClientRequest) {
  assert.ok(isLeaseBody(req.body));
  return create(ClientResponseSchema, await handleLease(req, req.body, f.service));
}

test("lease handler: a grant is proposed with the client's session and a raised TTL", async () => {
  const f = fixture();
  const session = { clientId: 7n, sequence: 3n };
  const r = await handle(f, request({ case: "leaseGrant", value: { ttlSeconds: 1 } }, session));
  assert.equal(r.error, undefined);
  assert.equal(f.executed.length, 1);
  const c = f.executed[0];
  assert.equal(c.clientId, 7n);
  assert.equal(c.sequence, 3n);
  assert.equal(c.body?.case === "leaseGrant" && c.body.value.ttlSeconds, 3, "raised to 3 s");
  assert.equal(r.body.case, "lease");
  if (r.body.case !== "lease") return;
  assert.equal(r.body.value.lease?.id, 100n);
  assert.equal(r.body.value.lease?.grantedTtlSeconds, 3);
  assert.equal(r.body.value.lease?.remainingMs, 3000n);
});

test("lease handler: bad input is refused and nothing is proposed", async () => {
  const f = fixture();
  const cases: RequestBody[] = [
    { case: "leaseGrant", value: { ttlSeconds: LEASE_TTL_SECONDS_MAX + 1 } },
    { case: "leaseGrant", value: { ttlSeconds: 0 } },
    { case: "leaseGrant", value: { ttlSeconds: 5, id: 2n ** 60n } },
    { case: "leaseRevoke", value: { id: 1n, expired: true } },
    { case: "leaseRevoke", value: { id: 0n } },
    { case: "leaseKeepAlive", value: { id: 2n ** 63n } },
  ];
  for (const body of cases) {
    const r = await handle(f, request(body));
    assert.equal(r.error?.code, ErrorCode.INVALID_ARGUMENT, String(body?.case));
  }
  const unpaired = await handle(
    f,
    request({ case: "leaseRevoke", value: { id: 1n } }, {
      clientId: 5n,
      sequence: 0n,
    }),
  );
  assert.equal(unpaired.error?.code, ErrorCode.INVALID_ARGUMENT);
  assert.deepEqual(f.executed, []);
  const list = request({ case: "leaseList", value: {} });
  assert.ok(isLeaseBody(list.body));
  const none = await handleLease(list, list.body, undefined);
  assert.equal(none.error?.code, ErrorCode.UNAVAILABLE, "a port without leases refuses them");
});

test("lease handler: the leader answers keep-alive, time-to-live and list itself", async () => {
  const f = fixture();
  f.keeper.setLeading(true);
  f.table.set(2, { id: 2, ttlSeconds: 10 });
  f.table.set(1, { id: 1, ttlSeconds: 20 });
  f.keeper.applied();
  const missing = await handle(f, request({ case: "leaseKeepAlive", value: { id: 3n } }));
  assert.equal(missing.error?.code, ErrorCode.LEASE_NOT_FOUND);
  const kept = await handle(f, request({ case: "leaseKeepAlive", value: { id: 2n } }));
  assert.equal(kept.body.case === "lease" && kept.body.value.lease?.remainingMs, 10_000n);
  const ttl = await handle(f, request({ case: "leaseTimeToLive", value: { id: 1n, keys: true } }));
  assert.ok(ttl.body.case === "lease");
  assert.equal(ttl.body.value.lease?.grantedTtlSeconds, 20);
  assert.deepEqual(ttl.body.value.keys.map((k) => new TextDecoder().decode(k)), ["key-of-1"]);
  assert.equal(ttl.body.value.revision, 9n);
  const list = await handle(f, request({ case: "leaseList", value: {} }));
  assert.ok(list.body.case === "lease");
  assert.deepEqual(list.body.value.leases.map((l) => l.id), [1n, 2n]);
  assert.deepEqual(f.forwarded, []);
  f.keeper.stop();
});

test("lease handler: a follower forwards keep-alives; a stale leader becomes UNAVAILABLE", async () => {
  const f = fixture();
  const noLeader = await handle(f, request({ case: "leaseKeepAlive", value: { id: 1n } }));
  assert.equal(noLeader.error?.code, ErrorCode.NOT_LEADER);
  f.route = { kind: "peer", address: "127.0.0.1:7002" };
  f.forwardAnswer = () =>
    response({ lease: { id: 1n, grantedTtlSeconds: 5, remainingMs: 5000n }, revision: 3n });
  const ok = await handle(f, request({ case: "leaseKeepAlive", value: { id: 1n } }));
  assert.equal(ok.body.case === "lease" && ok.body.value.lease?.remainingMs, 5000n);
  assert.equal(f.forwarded[0]?.case, "leaseKeepAlive");
  f.forwardAnswer = () =>
    create(ClientResponseSchema, { error: { code: ErrorCode.NOT_LEADER, message: "moved" } });
  const stale = await handle(f, request({ case: "leaseList", value: {} }));
  assert.equal(stale.error?.code, ErrorCode.UNAVAILABLE);
  f.forwardAnswer = () =>
    create(ClientResponseSchema, { error: { code: ErrorCode.LEASE_NOT_FOUND, message: "gone" } });
  const gone = await handle(f, request({ case: "leaseTimeToLive", value: { id: 1n } }));
  assert.equal(gone.error?.code, ErrorCode.LEASE_NOT_FOUND);
  f.route = { kind: "self" };
  const becoming = await handle(f, request({ case: "leaseKeepAlive", value: { id: 1n } }));
  assert.equal(becoming.error?.code, ErrorCode.UNAVAILABLE);
});
