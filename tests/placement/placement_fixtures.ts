/**
 * Commands and logs for the placement state's tests: one of every kind, and a seeded random
 * history (heartbeats, reports of regions split off region 1, drains, removals, allocations,
 * timestamp bounds, and a few bad entries) as Raft entries.
 */
import {
  initialRegion,
  type RegionDescriptor,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import {
  type CommandOf,
  encodeCommand,
  type PlacementCommand,
} from "../../src/placement/placement_commands.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import type { Prng } from "../../src/util/prng.ts";

export const T0 = 1_800_000_000_000;

export const BOOTSTRAP: CommandOf<"bootstrap"> = {
  kind: "bootstrap",
  atMs: T0,
  nodes: [
    { nodeId: 1, address: "10.0.0.1:7000", zone: "a" },
    { nodeId: 2, address: "10.0.0.2:7000", zone: "b" },
    { nodeId: 3, address: "10.0.0.3:7000", zone: "c" },
  ],
  region: initialRegion([1, 2, 3]),
};

/** One command of every kind (after the bootstrap), valid against BOOTSTRAP's state. */
export function everyKind(): PlacementCommand[] {
  const [left, right] = splitDescriptor(initialRegion([1, 2, 3]), new Uint8Array([0x6d]), 2);
  return [
    BOOTSTRAP,
    {
      kind: "heartbeat",
      atMs: T0 + 1,
      nodeId: 4,
      address: "[::1]:7004",
      zone: "zöne-d",
      capacityBytes: 2 ** 40,
      usedBytes: 12_345,
    },
    { kind: "allocate-ids", atMs: T0 + 2, count: 5 },
    {
      kind: "region-report",
      atMs: T0 + 3,
      descriptor: right,
      leader: 2,
      sizeBytes: 1 << 20,
      writesPerSec: 4096,
      caughtUp: [1, 2, 3],
      term: 3,
    },
    {
      kind: "region-report",
      atMs: T0 + 3,
      descriptor: left,
      leader: 0,
      sizeBytes: 0,
      writesPerSec: 0,
      caughtUp: [],
      term: 0,
    },
    { kind: "drain-node", atMs: T0 + 4, nodeId: 4 },
    { kind: "remove-node", atMs: T0 + 5, nodeId: 4 },
    { kind: "persist-tso-bound", atMs: T0 + 6, bound: 2 ** 50 + 7 },
  ];
}

export function entry(index: number, data: Uint8Array, term = 1): Entry {
  return { term, index, type: EntryType.Normal, data };
}

/** Entries from `first` on, one per command. */
export function entries(commands: readonly PlacementCommand[], first = 1): Entry[] {
  return commands.map((c, i) => entry(first + i, encodeCommand(c)));
}

/**
 * A random history of `n` entries after the bootstrap: heartbeats of nodes 1..6 (some with
 * clocks that go backwards), splits reported in any order, drains, removals, allocations,
 * timestamp bounds, leader no-ops, conf change entries and undecodable bytes.
 */
export function randomHistory(prng: Prng, n: number): Entry[] {
  const out: Entry[] = [entry(1, encodeCommand(BOOTSTRAP))];
  let regions: RegionDescriptor[] = [initialRegion([1, 2, 3])];
  const seen: RegionDescriptor[] = [];
  let allocated = 2;
  const pool: number[] = []; // allocated ids not used by a split yet
  let ms = T0;
  for (let i = 0; out.length < n && i < n * 4; i++) {
    const index = out.length + 1;
    ms += prng.int(2_000) - 300; // a proposer's clock may be behind the last one
    const roll = prng.int(100);
    if (roll < 4) {
      out.push(entry(index, prng.fill(new Uint8Array(prng.int(20)))));
      continue;
    }
    if (roll < 7) {
      out.push({ term: 1, index, type: EntryType.ConfChange, data: new Uint8Array([1]) });
      continue;
    }
    let cmd: PlacementCommand;
    if (roll < 40) {
      const nodeId = 1 + prng.int(6);
      cmd = {
        kind: "heartbeat",
        atMs: ms,
        nodeId,
        address: `10.0.0.${nodeId}:7000`,
        zone: "abc"[nodeId % 3],
        capacityBytes: 1e12,
        usedBytes: prng.int(1e9),
      };
    } else if (roll < 75 && regions.length < 40) {
      const r = regions[prng.int(regions.length)];
      const key = new Uint8Array([1 + prng.int(250), prng.int(256)]);
      const inside = key[0] > (r.start[0] ?? 0) && (r.end.length === 0 || key[0] < r.end[0]);
      const id = inside && prng.chance(0.5) ? pool.shift() : undefined;
      const report = id !== undefined ? splitDescriptor(r, key, id) : [r];
      if (report.length === 2) regions = regions.filter((x) => x !== r).concat(report);
      seen.push(...report);
      // Now and then a late report of a descriptor a split has replaced since (ignored).
      const d = prng.chance(0.15) ? seen[prng.int(seen.length)] : report[prng.int(report.length)];
      cmd = {
        kind: "region-report",
        atMs: ms,
        descriptor: d,
        leader: d.replicas[prng.int(d.replicas.length)].nodeId,
        sizeBytes: prng.int(1 << 26),
        writesPerSec: prng.int(1 << 20),
        caughtUp: [1, 2, 3].filter(() => prng.chance(0.8)),
        term: prng.int(4),
      };
    } else if (roll < 80) cmd = { kind: "drain-node", atMs: ms, nodeId: 1 + prng.int(7) };
    else if (roll < 85) cmd = { kind: "remove-node", atMs: ms, nodeId: 4 + prng.int(3) };
    else if (roll < 93) {
      const count = 1 + prng.int(3);
      cmd = { kind: "allocate-ids", atMs: ms, count };
      for (let k = 0; k < count; k++) pool.push(allocated++);
    } else cmd = { kind: "persist-tso-bound", atMs: ms, bound: prng.int(2 ** 31) * 1024 };
    out.push(entry(index, prng.chance(0.03) ? new Uint8Array(0) : encodeCommand(cmd)));
  }
  return out;
}
