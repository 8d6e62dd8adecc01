/**
 * An in-process stand-in for a multi-region cluster, for testing the client's routing: several
 * real protobuf ports (KvPort over real sockets, the real route check) sharing one store without
 * Raft, and one mutable region layout (descriptors and leaders) that every node answers from.
 * A node refuses a routed write to a region it does not lead, and any routed request whose
 * epoch or range is stale, exactly as a real node does (src/server/proto/route_check.ts). A test
 * changes the layout mid-run (split, leader move) with `split` and `moveLeader`.
 */
import type { CommandInit } from "../../src/kv/command_codec.ts";
import type { KvScanRequest } from "../../src/kv/kv_scan.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { type RegionDescriptor, splitDescriptor } from "../../src/region/descriptor.ts";
import type { RegionCatalog, RegionReport } from "../../src/region/region_catalog.ts";
import { RegionMap } from "../../src/region/region_map.ts";
import type { KvService } from "../../src/server/kv_service.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { LocalKvService } from "../server/local_kv_service.ts";

export interface FakeRegion {
  descriptor: RegionDescriptor;
  leaderId: number;
}

/** Per node: the keys of the writes it served, and how many scans it served. */
export interface NodeLog {
  writes: string[];
  scans: number;
}

export class FakeRegionCluster {
  readonly map = new RegionMap();
  readonly leaders = new Map<number, number>();
  readonly ports = new Map<number, KvPort>();
  readonly logs = new Map<number, NodeLog>();
  /** Called before a node serves a scan (a test changes the layout mid-scan). */
  beforeScan: (() => void) | undefined;
  /** Extra epoch bumps a node applies on every lookup (a layout that never settles). */
  churn = false;

  private constructor(readonly store: LocalKvService, readonly nodeIds: number[]) {}

  /** Nodes 1..n; regions split at `splits` (keys), region i+1 led by node (i % n) + 1. */
  static async start(n: number, splits: string[]): Promise<FakeRegionCluster> {
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const c = new FakeRegionCluster(await LocalKvService.open(), ids);
    const replicas = ids.map((nodeId) => ({ nodeId, role: "voter" as const }));
    let last: RegionDescriptor = {
      id: 1,
      start: new Uint8Array(0),
      end: new Uint8Array(0),
      epoch: { version: 1, confVer: 1 },
      replicas,
    };
    const regions: RegionDescriptor[] = [];
    splits.forEach((key, i) => {
      const [left, right] = splitDescriptor(last, utf8(key), i + 2);
      regions.push(left);
      last = right;
    });
    regions.push(last);
    regions.forEach((d, i) => {
      c.map.update(d);
      c.leaders.set(d.id, (i % n) + 1);
    });
    for (const id of ids) {
      c.logs.set(id, { writes: [], scans: 0 });
      const port = await KvPort.start({
        net: getPlatform().net,
        hostname: "127.0.0.1",
        port: 0,
        service: c.#serviceOf(id),
      });
      c.ports.set(id, port);
    }
    return c;
  }

  address(id: number): string {
    return `127.0.0.1:${this.ports.get(id)?.port}`;
  }

  /** Splits the region holding `key` at it; the right half gets `newId`, led by `leader`. */
  split(key: string, newId: number, leader: number): void {
    const k = utf8(key);
    const held = this.map.lookup(k);
    if (held === undefined) throw new Error(`no region holds ${key}`);
    const [left, right] = splitDescriptor(held, k, newId);
    this.map.update(left);
    this.map.update(right);
    this.leaders.set(newId, leader);
  }

  /** Leadership of a region moves (the epoch does not change). */
  moveLeader(regionId: number, to: number): void {
    this.leaders.set(regionId, to);
  }

  async close(): Promise<void> {
    for (const p of this.ports.values()) await p.close();
    await this.store.db.close();
  }

  #catalogOf(selfId: number): RegionCatalog {
    return catalogOf(this, selfId);
  }

  #serviceOf(id: number): KvService {
    const s = this.store;
    const log = this.logs.get(id);
    if (log === undefined) throw new Error(`node ${id} has no log`);
    const keyOf = (command: CommandInit) => {
      const b = command.body;
      return b !== undefined && "value" in b && b.value !== undefined && "key" in b.value
        ? new TextDecoder().decode(b.value.key)
        : "";
    };
    return {
      write: (command) => {
        log.writes.push(keyOf(command));
        return s.write(command);
      },
      execute: (command) => s.execute(command),
      get: (key, c, revision) => s.get(key, c, revision),
      scan: (request: KvScanRequest) => {
        log.scans++;
        this.beforeScan?.();
        return s.scan(request);
      },
      count: () => s.count(),
      readState: (c, read) => s.readState(c, read),
      status: () => s.status(),
      regions: this.#catalogOf(id),
    };
  }
}

/** Node `selfId`'s view of the cluster's layout. */
function catalogOf(c: FakeRegionCluster, selfId: number): RegionCatalog {
  const churned = (d: RegionDescriptor | undefined) => {
    if (d === undefined || !c.churn) return d;
    const next = { ...d, epoch: { ...d.epoch, confVer: d.epoch.confVer + 1 } };
    c.map.update(next);
    return next;
  };
  return {
    selfId,
    regionFor: (key) => c.map.lookup(key),
    regionsOverlapping: (start, end) => c.map.overlapping(start, end),
    descriptor: (id) => churned(c.map.byId(id)),
    leaderOf: (id) => c.leaders.get(id) ?? 0,
    report: (id): RegionReport | undefined => {
      const descriptor = c.map.byId(id);
      if (descriptor === undefined) return undefined;
      const leaderId = c.leaders.get(id) ?? 0;
      return { descriptor, leaderId, approximateBytes: 0, approximateKeys: 0, appliedIndex: 0 };
    },
    node: (id) => c.ports.has(id) ? { address: c.address(id), zone: `z${id}` } : undefined,
  };
}
