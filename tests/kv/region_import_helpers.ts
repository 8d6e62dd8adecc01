/**
 * Two regions on one shared engine, built from a log: region 1 splits at "m" into itself and
 * region 2. A source engine runs region 2 further than the target, whose region 2 is stale.
 */
import { exportSnapshot } from "../../src/kv/kv_snapshot.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { imageRanges } from "../../src/kv/region_range_clear.ts";
import { importRegionSnapshot, type RegionImage } from "../../src/kv/region_snapshot_import.ts";
import { compareBytes } from "../../src/util/bytes.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { b, cmd, put } from "./kv_helpers.ts";
import { redis } from "./redis/seed_helpers.ts";

export interface TwoRegions {
  readonly world: SimWorld;
  readonly db: Db;
  readonly r1: RegionKv;
  readonly r2: RegionKv;
}

const grant = (id: number, ttlSeconds = 60) =>
  cmd({ body: { case: "leaseGrant", value: { ttlSeconds, id: BigInt(id) } } });
const leased = (key: string, lease: number) =>
  cmd({ body: { case: "put", value: { key: b(key), value: b("leased"), lease: BigInt(lease) } } });
const ttl = (key: string) =>
  cmd({
    proposedAtMs: 1000n,
    body: { case: "put", value: { key: b(key), value: b("soon"), ttlMs: 60_000n } },
  });

async function run(kv: RegionKv, commands: Uint8Array[]): Promise<void> {
  const start = kv.kv.appliedIndex + 1;
  await kv.apply(commands.map((data, i) => ({ index: start + i, data })));
}

/** Before the split: both regions' keys, a lease, sessions, expiry entries, Redis records. */
const COMMON = [
  grant(1),
  put("a", "1", { clientId: 7n, sequence: 1n }),
  put("c", "1"),
  put("n", "1", { clientId: 7n, sequence: 2n }),
  put("q", "1"),
  leased("k", 1),
  leased("j", 1), // a leased key stays in region 1: a split never moves one (region_leased_keys.ts)
  ttl("d"),
  ttl("p"),
  redis(0, 1000, ["hset", "h-hash", "f", "v"]),
  redis(0, 1000, ["hset", "s-hash", "f", "v"]),
];

/**
 * `source`: region 2 moves on (and grants leases 5 and 6); else region 2's stale extra write,
 * and region 1 grants leases 6 and 7.
 */
export async function twoRegions(seed: number, source: boolean): Promise<TwoRegions> {
  const world = createSimWorld(seed);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const r1 = await RegionKv.open(db, 1, { voters: [1] });
  r1.kv.garbage.stop();
  await run(r1, COMMON);
  const split = encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch: { version: 1, confVer: 1 },
    splitKey: b("m"),
    newRegionId: 2,
    replicas: [{ nodeId: 1, role: "voter" }],
  });
  await run(r1, [split]);
  const r2 = await RegionKv.open(db, 2);
  r2.kv.garbage.stop();
  await run(r1, [put("b", "2"), put("a", "2", { clientId: 7n, sequence: 3n })]);
  await run(r2, [put("n", "2", { clientId: 7n, sequence: 4n })]);
  if (source) {
    await run(r2, [put("o", "3"), cmd({ body: { case: "delete", value: { key: b("q") } } })]);
    await run(r2, [
      grant(5),
      grant(6),
      leased("s", 5),
      ttl("t"),
      redis(0, 1000, ["sadd", "u-set", "x"]),
    ]);
  } else {
    await run(r2, [put("w", "stale"), ttl("x")]);
    // Leases only the target has; lease 6 the source has too, with another TTL.
    await run(r1, [grant(7), leased("e", 7), grant(6, 30)]);
  }
  await db.flush();
  return { world, db, r1, r2 };
}

/** Region `d`'s image on `db`, cut into small pieces. */
export function imageOf(db: Db, d: RegionDescriptor, index: number): RegionImage {
  const scope = { region: regionKeys(d.id), span: { start: d.start, end: d.end } };
  return { descriptor: d, index, stream: () => exportSnapshot(db, 50, scope) };
}

/** Whether `key` is in a range region `d` owns on a shared engine. */
export function ownedBy(d: RegionDescriptor): (key: Uint8Array) => boolean {
  const ranges = imageRanges(d).filter((r) => r.owned);
  return (key) =>
    ranges.some((r) =>
      compareBytes(key, r.start) >= 0 && compareBytes(key, r.end) < 0 &&
      (r.keep === undefined || r.keep(key))
    );
}

export type Line = string;

/**
 * Region `d`'s records as its image installs them, read from an engine that held nothing else:
 * the source's own records, except that a split child's keys' older changes come into its own
 * feed from its ancestors' and its lineage record stays behind (region_ancestor_history.ts).
 */
export async function installedLines(db: Db, d: RegionDescriptor, index: number): Promise<Line[]> {
  const world = createSimWorld(99);
  world.fs.mkdir("fresh");
  const fresh = await Db.open(world.fs, "fresh", { wal: false, seed: 1 });
  await importRegionSnapshot(fresh, imageOf(db, d, index));
  const out = lines(fresh, ownedBy(d)).inside;
  await fresh.close();
  return out;
}

/** The engine's records as text, split into those `owned` accepts and the rest. */
export function lines(db: Db, owned: (key: Uint8Array) => boolean) {
  const inside: Line[] = [], outside: Line[] = [];
  for (const [k, v] of db.scanSync()) (owned(k) ? inside : outside).push(`${k}=${v}`);
  return { inside, outside };
}
