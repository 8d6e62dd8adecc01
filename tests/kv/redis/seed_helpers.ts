/**
 * Redis data for state machine tests. Hashes and sets have no commands in
 * this build's table yet, so `seed` builds them the way an applied entry
 * would: RedisDb over an ApplyStorage, written with the entry's meta records
 * (applied index, revision, key counts) in one batch, on an engine no state
 * machine has open. Everything else goes through real commands.
 */
import { regionKeys } from "../../../src/kv/region_keys.ts";
import type { CommandInit } from "../../../src/kv/command_codec.ts";
import { LeaseTable } from "../../../src/kv/lease_table.ts";
import { ApplyStorage } from "../../../src/kv/redis/apply_storage.ts";
import { RedisDb } from "../../../src/kv/redis/database.ts";
import { readRedis } from "../../../src/kv/redis/read_run.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { RevisionWriter } from "../../../src/kv/revision_writer.ts";
import { Sessions } from "../../../src/kv/sessions.ts";
import type { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { addRedisKeys, openMeta, writeMeta } from "../../../src/kv/store_meta.ts";
import { WriteSet } from "../../../src/kv/write_set.ts";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";
import { Db } from "../../../src/storage/db.ts";
import { b, cmd } from "../kv_helpers.ts";

/** An empty engine on a simulated disk, and a way to open it again. */
export async function freshEngine(): Promise<{ engine: Db; reopen: () => Promise<Db> }> {
  const world = createSimWorld(1);
  world.fs.mkdir("kv");
  const reopen = () => Db.open(world.fs, "kv", { wal: false, seed: 1 });
  return { engine: await reopen(), reopen };
}

/** Runs `build` on database `index` as the next applied entry, at replicated time `now`. */
export async function seed(
  db: Db,
  index: number,
  now: number,
  build: (rdb: RedisDb) => void,
): Promise<void> {
  const meta = await openMeta(db, new Sessions(), regionKeys());
  const applied = meta.applied + 1;
  const ws = new WriteSet(db);
  const w = new RevisionWriter(ws, applied, await LeaseTable.load(db), Math.max(meta.now, now));
  const storage = new ApplyStorage(w, (d) => meta.redisKeys[d], { ops: 1e9, bytes: 1e12 });
  build(new RedisDb(storage, index));
  const next = {
    ...meta,
    applied,
    revision: applied,
    keyCount: meta.keyCount + ws.keysDelta,
    now: w.now,
    redisKeys: addRedisKeys(meta.redisKeys, storage.counts),
  };
  writeMeta(ws, next, meta);
  await db.write(ws.ops());
}

/** A Redis request of one or more commands on database `db`, proposed at `atMs`. */
export function redis(db: number, atMs: number, ...commands: string[][]): Uint8Array {
  const init: CommandInit = {
    proposedAtMs: BigInt(atMs),
    body: {
      case: "redis",
      value: { db, commands: commands.map((args) => ({ args: args.map(b) })) },
    },
  };
  return cmd(init);
}

/** A read-only command's reply on the node's local state (after the caller's barrier). */
export function read(kv: KvStateMachine, db: number, ...args: string[]): RedisReply {
  const { reply } = readRedis(kv, { db, commands: [args.map(b)], multi: false, watches: [] });
  return reply.k === "array" ? reply.items[0] : reply;
}

/** Every engine key of one namespace, in order. */
/** Region 1's local keys of `kind` (region_keys.ts). */
export function regionEngineKeys(db: Db, kind: number): Uint8Array[] {
  const r = regionKeys();
  const start = r.local(new Uint8Array([kind])), end = r.local(new Uint8Array([kind + 1]));
  return [...db.scanSync({ start, end })].map(([k]) => k.slice());
}

export function engineKeys(db: Db, namespace: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const start = new Uint8Array([namespace]), end = new Uint8Array([namespace + 1]);
  for (const [k] of db.scanSync({ start, end })) out.push(k.slice());
  return out;
}
