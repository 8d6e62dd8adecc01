/**
 * What the region image install's test and benchmark share (src/server/node/
 * region_image_install.ts): an engine holder with just the engine and its lock, and a region
 * image of a chosen size.
 */
import { exportSnapshot } from "../../src/kv/kv_snapshot.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { MULTI_SNAPSHOT_CHUNK_BYTES } from "../../src/limits_ops.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import type { Db } from "../../src/storage/db.ts";
import { put } from "../kv/kv_helpers.ts";
import { twoRegions } from "../kv/region_import_helpers.ts";

/** An engine holder as the installer uses it: the engine and its lock (tasks one at a time). */
export function lockedHolder(db: Pick<Db, "write" | "get" | "scanSync" | "flush">): EngineHolder {
  let tail: Promise<unknown> = Promise.resolve();
  const locked = <T>(run: () => Promise<T>): Promise<T> => {
    const done = tail.then(run);
    tail = done.catch(() => {});
    return done;
  };
  return { db, locked } as unknown as EngineHolder;
}

/**
 * Region 2's image (twoRegions' source) once its region 2 holds `puts` more keys of
 * `valueBytes`-byte values, in one piece, with the applied index it carries.
 */
export async function regionTwoImage(
  puts: number,
  valueBytes = 20,
): Promise<{ image: Uint8Array; index: number }> {
  const src = await twoRegions(31, true);
  const start = src.r2.kv.appliedIndex + 1, value = "v".repeat(valueBytes);
  for (let i = 0; i < puts; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(puts, i + 1000); j++) {
      batch.push({ index: start + j, data: put(`n${String(j).padStart(8, "0")}`, value) });
    }
    await src.r2.apply(batch);
  }
  await src.db.flush();
  const d = src.r2.descriptor;
  const scope = { region: regionKeys(2), span: { start: d.start, end: d.end } };
  const pieces: Uint8Array[] = [];
  for await (const p of exportSnapshot(src.db, MULTI_SNAPSHOT_CHUNK_BYTES, scope)) pieces.push(p);
  const image = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) (image.set(p, at), at += p.length);
  return { image, index: src.r2.kv.appliedIndex };
}
