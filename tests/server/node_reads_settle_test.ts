/**
 * A read whose keys lost their local region while it waited for its barrier is refused,
 * retryable (src/server/node/node_reads.ts). A wiped node's region 1 spans the whole keyspace
 * until its image comes; the image, taken past the splits, narrows it to its part while the
 * other regions' replicas still wait for theirs. A read that began before the image and
 * waited for region 1's ReadIndex read the engine after it, where the other regions' keys
 * were absent (the simulator's seed 4 with regions: a Redis MGET answered null for keys
 * written long before).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { NodeReads } from "../../src/server/node/node_reads.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import type { FaultMonitor } from "../../src/server/node/faults.ts";
import type { RegionHost } from "../../src/server/node/region_host.ts";
import { initialRegion, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { utf8 } from "../../src/util/bytes.ts";

test("a read refuses when its region narrowed while it waited for the barrier", async () => {
  let descriptor: RegionDescriptor = initialRegion([1, 2, 3]);
  const region1 = {
    id: 1,
    kv: {
      get descriptor() {
        return descriptor;
      },
    },
    reads: {
      wait: () => {
        // Region 1's image is installed meanwhile: it holds only the keys below "m" now.
        descriptor = { ...descriptor, end: utf8("m"), epoch: { version: 5, confVer: 1 } };
        return Promise.resolve();
      },
    },
  };
  const host = { adding: false, generation: 0, all: () => [region1] } as unknown as RegionHost;
  const faults = { check: () => {} } as unknown as FaultMonitor;
  const reads = new NodeReads(host, () => ({}) as EngineHolder, faults);
  const region = host.all();
  await assert.rejects(
    reads.barrier("linearizable", region),
    (err) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
  );
  // Settled again (the regions cover the keyspace): the barrier passes.
  descriptor = initialRegion([1, 2, 3]);
  region1.reads.wait = () => Promise.resolve();
  await reads.barrier("linearizable", region);
});

test("a node holding only some regions serves reads of their keys", async () => {
  const region5 = {
    id: 5,
    kv: {
      descriptor: {
        ...initialRegion([1, 2, 3]),
        id: 5,
        start: utf8("a"),
        end: utf8("m"),
        epoch: { version: 3, confVer: 7 },
      },
    },
    reads: { wait: () => Promise.resolve() },
  };
  // Placement moved every other region off this node: its regions do not cover the keyspace.
  const host = { adding: false, generation: 0, all: () => [region5] } as unknown as RegionHost;
  const faults = { check: () => {} } as unknown as FaultMonitor;
  const reads = new NodeReads(host, () => ({}) as EngineHolder, faults);
  await reads.barrier("linearizable", host.all(), region5.kv.descriptor);
  await reads.barrier("linearizable", host.all(), { start: utf8("b"), end: utf8("c") });
  // A span past the region is not covered: refused, retryable.
  await assert.rejects(
    reads.barrier("linearizable", host.all(), { start: utf8("b"), end: utf8("z") }),
    (err) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
  );
});
