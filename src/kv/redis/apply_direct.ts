/**
 * A lone SET in database 0 applied straight on the apply pass's writer, with no staged
 * write set of its own (apply_request.ts stages every other request). Staging exists so
 * that a request that fails or passes its budget changes nothing; a lone SET here can do
 * neither once it has written:
 *
 * - every error SET answers (syntax, expiry, key or value over TinyKV's limits) comes
 *   before its first write;
 * - with no typed key in database 0, SET's writes are the key's current record, history
 *   record and key index entry, at most two expiry index entries and a lease detachment:
 *   never more than SET_OPS_MAX writes or `setBytesMax` bytes, and the request is taken
 *   here only when its budget holds both.
 *
 * The outcome is the staged path's exactly: the same reply, writes, events and key counts,
 * and the same budget used (each write of a SET is of a distinct key, so the count of
 * writes is the staged set's size, and the bytes are counted per write in both).
 * Staging a SET cost a WriteSet, a RevisionWriter and its merge into the pass: 4–5 % of a
 * pipelined SET's CPU in a `-P 16` profile, a sixth of its Redis apply (issue 14, session 12).
 */
import type { RedisRequest } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RevisionWriter } from "../revision_writer.ts";
import { ApplyStorage, type WriteBudget } from "./apply_storage.ts";
import { runRedis, type WatchedKey } from "./executor.ts";
import type { AppliedRequest } from "./apply_request.ts";

/** A SET's writes at most: current, history, key index, two expiry entries, a lease's. */
const SET_OPS_MAX = 8;

const NO_WATCHES: readonly WatchedKey[] = [];

/**
 * Bytes a SET of `key` and `value` can write at most (write_set.ts counts each write's key
 * and value): the current record and the history record each hold the value and under 64
 * bytes of fields, the history record the key too; the key index entry escapes the key
 * (at most twice its length); expiry and lease entries hold the key and under 32 bytes.
 */
export function setBytesMax(key: number, value: number): number {
  return 8 * key + 2 * value + 512;
}

/** Whether `name` is SET in any letter case, with no string made. */
function isSet(name: Uint8Array): boolean {
  return name.length === 3 && (name[0] | 0x20) === 0x73 && (name[1] | 0x20) === 0x65 &&
    (name[2] | 0x20) === 0x74;
}

/** Whether `r` is a lone SET that may run straight on the pass (see the file's comment). */
export function writesDirectly(
  r: RedisRequest,
  typedBase: ((db: number) => number) | undefined,
  budget: WriteBudget,
): boolean {
  if (r.multi || r.db !== 0 || r.commands.length !== 1 || r.watches.length !== 0) return false;
  if (typedBase === undefined || typedBase(0) !== 0) return false;
  const args = r.commands[0].args;
  if (args.length < 3 || !isSet(args[0])) return false;
  return budget.ops >= SET_OPS_MAX && budget.bytes >= setBytesMax(args[1].length, args[2].length);
}

/** Runs a request `writesDirectly` accepted on `w`, the pass's writer. */
export function applyDirect(
  r: RedisRequest,
  w: RevisionWriter,
  baseCount: (db: number) => number,
  typedBase: (db: number) => number,
  budget: WriteBudget,
): AppliedRequest {
  const ws = w.ws, writes = ws.writes, bytes = ws.bytes;
  // baseCount includes the pass's key count change so far, which the storage adds itself.
  const base = (db: number) => baseCount(db) - (db === 0 ? ws.keysDelta : 0);
  const storage = new ApplyStorage(w, base, budget, typedBase, ws.size, bytes);
  const run = { db: 0, commands: [r.commands[0].args], multi: false, watches: NO_WATCHES };
  const { reply, db } = runRedis(run, storage);
  const used = { ops: ws.writes - writes, bytes: ws.bytes - bytes };
  return { reply, db, counts: storage.counts, events: storage.events, used };
}
