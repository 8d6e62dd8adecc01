/** Reading hashes: HGET HMGET HEXISTS HLEN HSTRLEN HGETALL HKEYS HVALS. */
import type { ExecContext, RedisCommandSpec, RunCommand } from "../command.ts";
import { array, bulk, bulks, int, map, type RedisReply } from "../reply.ts";
import { allFields, readHash } from "./hash_access.ts";

/** One field's value, or undefined (no hash, or no such field). */
function fieldOf(c: ExecContext, args: readonly Uint8Array[]): Uint8Array | undefined {
  const hash = readHash(c, args[1]);
  return hash === undefined ? undefined : c.db.member(hash, args[2]);
}

const hget: RunCommand = (c, args) => bulk(fieldOf(c, args));

const hmget: RunCommand = (c, args) => {
  const hash = readHash(c, args[1]);
  return array(args.slice(2).map((f) => bulk(hash && c.db.member(hash, f))));
};

const hexists: RunCommand = (c, args) => int(fieldOf(c, args) === undefined ? 0 : 1);

/** The meta record's count: no scan. */
const hlen: RunCommand = (c, args) => int(readHash(c, args[1])?.count ?? 0);

const hstrlen: RunCommand = (c, args) => int(fieldOf(c, args)?.length ?? 0);

/** RESP3 a map (`%0` for a missing key), RESP2 a flat array. */
const hgetall: RunCommand = (c, args) => {
  const items: RedisReply[] = [];
  for (const [field, value] of allFields(c, readHash(c, args[1]))) {
    items.push(bulk(field), bulk(value));
  }
  return map(items);
};

const hkeys: RunCommand = (c, args) => bulks(allFields(c, readHash(c, args[1])).map(([f]) => f));

const hvals: RunCommand = (c, args) => bulks(allFields(c, readHash(c, args[1])).map(([, v]) => v));

const R = ["readonly", "fast"];
export const HASH_READ_COMMANDS: Record<string, RedisCommandSpec> = {
  hget: { arity: 3, kind: "read", flags: R, keys: [1, 1, 1], run: hget },
  hmget: { arity: -3, kind: "read", flags: R, keys: [1, 1, 1], run: hmget },
  hexists: { arity: 3, kind: "read", flags: R, keys: [1, 1, 1], run: hexists },
  hlen: { arity: 2, kind: "read", flags: R, keys: [1, 1, 1], run: hlen },
  hstrlen: { arity: 3, kind: "read", flags: R, keys: [1, 1, 1], run: hstrlen },
  hgetall: { arity: 2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: hgetall },
  hkeys: { arity: 2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: hkeys },
  hvals: { arity: 2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: hvals },
};
