/**
 * The placement requests' bytes (placement_rpc.ts) and the port's handler: every request and
 * answer round-trips; bad bytes and bad values get INVALID_ARGUMENT, never a crash; a drain
 * needs the admin token when the node has one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientRequestSchema, ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  decodePlacementAnswer,
  decodePlacementRequest,
  encodePlacementAnswer,
  encodePlacementRequest,
  type NodeHeartbeat,
  type PlacementRequestBody,
} from "../../../src/server/placement/placement_rpc.ts";
import {
  handlePlacement,
  type PlacementPort,
} from "../../../src/server/placement/placement_handler.ts";
import { initialRegion } from "../../../src/region/descriptor.ts";
import { KEY_BYTES_MAX } from "../../../src/limits.ts";
import { DecodeError } from "../../../src/util/coding.ts";
import { InvalidArgumentError } from "../../../src/util/errors.ts";
import type { AdminService } from "../../../src/server/proto/admin_handler.ts";
import {
  PLACEMENT_HELD_PER_HEARTBEAT_MAX,
  PLACEMENT_ID_BATCH_MAX,
  PLACEMENT_REPORTS_PER_HEARTBEAT_MAX,
} from "../../../src/limits_ops.ts";

const HEARTBEAT: NodeHeartbeat = {
  nodeId: 2,
  address: "10.0.0.2:7100",
  zone: "eu-1a",
  capacityBytes: 0,
  usedBytes: 12_345,
  reports: [{
    descriptor: initialRegion([1, 2, 3]),
    leader: 2,
    sizeBytes: 999,
    writesPerSec: 0,
    caughtUp: [1, 2],
  }],
};

describe("placement requests on the wire", () => {
  it("round-trips every request and answer", () => {
    const bodies: PlacementRequestBody[] = [
      { kind: "heartbeat", heartbeat: HEARTBEAT },
      { kind: "timestamps", count: 17 },
      { kind: "drain", nodeId: 3 },
      { kind: "allocate-ids", count: 2 },
      { kind: "route", key: new Uint8Array([0x6b, 0, 0xff]) },
      { kind: "route", key: new Uint8Array(KEY_BYTES_MAX) },
      {
        kind: "heartbeat",
        heartbeat: {
          ...HEARTBEAT,
          held: [{ regionId: 5, confVer: 40 }, { regionId: 9, confVer: 3 }],
        },
      },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, held: [], terms: [9] } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, held: [], terms: [9], catchingUp: [7, 12] } },
      {
        kind: "heartbeat",
        heartbeat: {
          ...HEARTBEAT,
          held: [],
          terms: [9],
          catchingUp: [],
          placement: { applied: 77, catchingUp: false },
        },
      },
    ];
    for (const b of bodies) {
      for (const forwarded of [false, true]) {
        assert.deepEqual(decodePlacementRequest(encodePlacementRequest(b, forwarded)), {
          body: b,
          forwarded,
        });
      }
    }
    for (
      const a of [
        { kind: "done", leaderId: 1 },
        { kind: "timestamps", first: 123_456_789, count: 4 },
        { kind: "ids", first: 12, count: 1 },
        { kind: "done", leaderId: 2, orders: { orders: [], tombstones: [] } },
        {
          kind: "done",
          leaderId: 3,
          orders: {
            orders: [
              {
                regionId: 4,
                epoch: { version: 2, confVer: 9 },
                step: { kind: "add-learner", node: 4 },
              },
              {
                regionId: 5,
                epoch: { version: 1, confVer: 1 },
                step: { kind: "promote", promote: 4, demote: 2 },
              },
              { regionId: 6, epoch: { version: 3, confVer: 8 }, step: { kind: "remove", node: 2 } },
              {
                regionId: 7,
                epoch: { version: 3, confVer: 8 },
                step: { kind: "transfer-leader", to: 3 },
              },
            ],
            tombstones: [{ regionId: 8, confVer: 20 }],
          },
        },
        {
          kind: "done",
          leaderId: 3,
          orders: {
            orders: [
              { regionId: 6, epoch: { version: 3, confVer: 8 }, step: { kind: "remove", node: 2 } },
              {
                regionId: 7,
                epoch: { version: 3, confVer: 8 },
                step: { kind: "transfer-leader", to: 3 },
                term: 12,
              },
            ],
            tombstones: [],
          },
        },
        {
          kind: "done",
          leaderId: 4,
          orders: {
            orders: [],
            tombstones: [],
            group: { index: 50, voters: [2, 3, 4], learners: [5], settled: true },
          },
        },
        {
          kind: "done",
          leaderId: 4,
          orders: {
            orders: [{
              regionId: 6,
              epoch: { version: 3, confVer: 8 },
              step: { kind: "remove", node: 2 },
            }],
            tombstones: [],
            group: { index: 51, voters: [2, 3, 4], learners: [], settled: false },
          },
        },
        { kind: "error", code: 5, message: "no" },
        { kind: "route", leader: 0 },
        { kind: "route", region: initialRegion([1, 2, 3]), leader: 2 },
      ] as const
    ) assert.deepEqual(decodePlacementAnswer(encodePlacementAnswer(a)), a);
  });

  it("refuses bad values before they are sent and when they arrive", () => {
    const bad: PlacementRequestBody[] = [
      { kind: "timestamps", count: 0 },
      { kind: "drain", nodeId: 0 },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, zone: "z".repeat(65) } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, usedBytes: -1 } },
      {
        kind: "heartbeat",
        heartbeat: { ...HEARTBEAT, reports: [{ ...HEARTBEAT.reports[0], leader: 9 }] },
      },
      {
        kind: "heartbeat",
        heartbeat: {
          ...HEARTBEAT,
          reports: Array(PLACEMENT_REPORTS_PER_HEARTBEAT_MAX + 1).fill(HEARTBEAT.reports[0]),
        },
      },
      {
        kind: "heartbeat",
        heartbeat: {
          ...HEARTBEAT,
          held: Array(PLACEMENT_HELD_PER_HEARTBEAT_MAX + 1).fill({ regionId: 2, confVer: 1 }),
        },
      },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, held: [{ regionId: 0, confVer: 1 }] } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, terms: [] } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, terms: [1, 2] } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, terms: [-1] } },
      { kind: "heartbeat", heartbeat: { ...HEARTBEAT, catchingUp: [0] } },
      {
        kind: "heartbeat",
        heartbeat: { ...HEARTBEAT, placement: { applied: -1, catchingUp: false } },
      },
      { kind: "allocate-ids", count: 0 },
      { kind: "allocate-ids", count: PLACEMENT_ID_BATCH_MAX + 1 },
      { kind: "route", key: new Uint8Array(KEY_BYTES_MAX + 1) },
    ];
    for (const b of bad) {
      assert.throws(() => encodePlacementRequest(b), InvalidArgumentError, JSON.stringify(b));
    }
  });

  it("decodes untrusted bytes into a value or a DecodeError / InvalidArgumentError only", () => {
    const good = encodePlacementRequest({ kind: "heartbeat", heartbeat: HEARTBEAT });
    assert.throws(() => decodePlacementRequest(new Uint8Array(0)), DecodeError);
    assert.throws(() => decodePlacementRequest(new Uint8Array([2, 0, 0])), /version 2/);
    assert.throws(() => decodePlacementRequest(new Uint8Array([1, 9, 0])), /kind 9/);
    assert.throws(() => decodePlacementRequest(new Uint8Array([1, 1, 2, 1])), /forwarded/);
    assert.throws(() => decodePlacementRequest(new Uint8Array([1, 1, 0, 0])), /count/);
    // One more byte is an empty list of held regions (appended later: placement_orders.ts).
    assert.deepEqual(decodePlacementRequest(new Uint8Array([...good, 0])).body, {
      kind: "heartbeat",
      heartbeat: { ...HEARTBEAT, held: [] },
    });
    // Then the reports' terms (appended later still), one per report.
    assert.deepEqual(decodePlacementRequest(new Uint8Array([...good, 0, 1, 7])).body, {
      kind: "heartbeat",
      heartbeat: { ...HEARTBEAT, held: [], terms: [7] },
    });
    assert.throws(() => decodePlacementRequest(new Uint8Array([...good, 0, 0])), /0 terms/);
    // Then the regions catching up on the sender (appended in session 13).
    assert.deepEqual(decodePlacementRequest(new Uint8Array([...good, 0, 1, 7, 1, 5])).body, {
      kind: "heartbeat",
      heartbeat: { ...HEARTBEAT, held: [], terms: [7], catchingUp: [5] },
    });
    // Then region 0 on the sender: its applied index and whether it catches up (session 18).
    assert.deepEqual(decodePlacementRequest(new Uint8Array([...good, 0, 1, 7, 0, 9, 1])).body, {
      kind: "heartbeat",
      heartbeat: {
        ...HEARTBEAT,
        held: [],
        terms: [7],
        catchingUp: [],
        placement: { applied: 9, catchingUp: true },
      },
    });
    assert.throws(
      () => decodePlacementRequest(new Uint8Array([...good, 0, 1, 7, 0, 9, 2])),
      /flag/,
    );
    const tail = [...good, 0, 1, 7, 0, 0, 0, 0];
    assert.throws(() => decodePlacementRequest(new Uint8Array(tail)), /after/);
    // Every truncation and a flipped byte at every offset: a value or a typed error.
    for (let i = 0; i < good.length; i++) {
      assert.throws(() => decodePlacementRequest(good.subarray(0, i)), DecodeError);
      const flipped = good.slice();
      flipped[i] ^= 0xff;
      try {
        decodePlacementRequest(flipped);
      } catch (err) {
        assert.ok(err instanceof DecodeError || err instanceof InvalidArgumentError, String(err));
      }
    }
  });
});

describe("the port's placement handler", () => {
  const served: PlacementRequestBody[] = [];
  const port: PlacementPort = {
    handle(b) {
      served.push(b);
      return Promise.resolve({ kind: "done", leaderId: 1 });
    },
  };
  const admin = { service: {} as AdminService, token: "secret" };
  function request(body: Uint8Array, adminToken = "") {
    return create(ClientRequestSchema, {
      adminToken,
      body: { case: "placement", value: { body } },
    });
  }

  it("answers bad bytes with INVALID_ARGUMENT and serves nothing", async () => {
    const bytes = new Uint8Array([1, 0, 0, 5]);
    await assert.rejects(
      handlePlacement(request(bytes), bytes, port, admin),
      (e: unknown) => e instanceof Error && "code" in e && e.code === ErrorCode.INVALID_ARGUMENT,
    );
    assert.equal(served.length, 0);
  });

  it("serves heartbeats, and drains only with the admin token", async () => {
    const hb = encodePlacementRequest({ kind: "heartbeat", heartbeat: HEARTBEAT });
    const r = await handlePlacement(request(hb), hb, port, admin);
    assert.equal(r.body?.case, "placement");
    const drain = encodePlacementRequest({ kind: "drain", nodeId: 2 });
    await assert.rejects(
      handlePlacement(request(drain), drain, port, admin),
      (e: unknown) => e instanceof Error && "code" in e && e.code === ErrorCode.UNAUTHORIZED,
    );
    await handlePlacement(request(drain, "secret"), drain, port, admin);
    assert.deepEqual(served.map((b) => b.kind), ["heartbeat", "drain"]);
  });
});
