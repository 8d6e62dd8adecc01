/** Writing hash fields: HSET HMSET HSETNX HDEL. */
import { fromUtf8 } from "../../../util/bytes.ts";
import type { ExecContext, RedisCommandSpec, RunCommand } from "../command.ts";
import { fail, wrongArity } from "../errors.ts";
import { int, OK } from "../reply.ts";
import { readHash, writeHash } from "./hash_access.ts";

/** HSET/HMSET: field value pairs; the number of new fields. */
function setFields(c: ExecContext, args: readonly Uint8Array[]): number {
  if (args.length % 2 !== 0) fail(wrongArity(fromUtf8(args[0])));
  const key = args[1];
  const pairs: [Uint8Array, Uint8Array][] = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([args[i], args[i + 1]]);
  const hash = writeHash(c, key, pairs);
  let added = 0;
  for (const [field, value] of pairs) if (c.db.putMember(hash, field, value)) added++;
  c.db.save(hash);
  c.notify("hset", key, "h");
  return added;
}

const hset: RunCommand = (c, args) => int(setFields(c, args));

const hmset: RunCommand = (c, args) => {
  setFields(c, args);
  return OK;
};

const hsetnx: RunCommand = (c, args) => {
  const [, key, field, value] = args;
  const hash = writeHash(c, key, [[field, value]]);
  if (c.db.member(hash, field) !== undefined) return int(0);
  c.db.putMember(hash, field, value);
  c.db.save(hash);
  c.notify("hset", key, "h");
  return int(1);
};

/** HDEL: the hash goes when its last field does (Redis never keeps an empty hash). */
const hdel: RunCommand = (c, args) => {
  const key = args[1];
  const hash = readHash(c, key);
  if (hash === undefined) return int(0);
  let removed = 0;
  for (const field of args.slice(2)) if (c.db.deleteMember(hash, field)) removed++;
  if (removed > 0) {
    c.db.save(hash);
    c.notify("hdel", key, "h");
    if (hash.count === 0) c.notify("del", key, "g");
  }
  return int(removed);
};

const W = ["write", "denyoom", "fast"];
export const HASH_WRITE_COMMANDS: Record<string, RedisCommandSpec> = {
  hset: { arity: -4, kind: "write", flags: W, keys: [1, 1, 1], run: hset },
  hmset: { arity: -4, kind: "write", flags: W, keys: [1, 1, 1], run: hmset },
  hsetnx: { arity: 4, kind: "write", flags: W, keys: [1, 1, 1], run: hsetnx },
  hdel: { arity: -3, kind: "write", flags: ["write", "fast"], keys: [1, 1, 1], run: hdel },
};
