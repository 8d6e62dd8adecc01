/**
 * MEMORY USAGE key [SAMPLES n]: an estimate of the bytes a key takes, as
 * Redis gives one (test suites and tools only compare it with 0). TinyKV's
 * estimate is the engine bytes of the key's records: its name and value, or a
 * collection's first SAMPLES members (default 5, 0: all) scaled to its count,
 * plus a fixed overhead per record.
 */
import { intArg, type RedisCommandSpec, type RunCommand, upper } from "../command.ts";
import { fail, SYNTAX } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { int, NULL } from "../reply.ts";

/** Bytes a record costs beyond its key and value (sequence number, block and index share). */
const RECORD_OVERHEAD = 32;

const usage: RunCommand = (c, args) => {
  if (upper(args[1]) !== "USAGE") {
    fail(`ERR unknown subcommand '${new TextDecoder().decode(args[1])}'. Try MEMORY HELP.`);
  }
  if (args.length !== 3 && args.length !== 5) fail(SYNTAX);
  let samples = 5;
  if (args.length === 5) {
    if (upper(args[3]) !== "SAMPLES") fail(SYNTAX);
    samples = intArg(args[4]);
    if (samples < 0) fail(SYNTAX);
  }
  const e = c.db.lookup(args[2]);
  if (e === undefined) return NULL;
  const base = e.key.length + RECORD_OVERHEAD;
  if (e.type === RedisType.String) return int(base + e.value.length);
  const coll = c.db.collection(e.key, e.type);
  if (coll === undefined) return NULL;
  let seen = 0, bytes = 0;
  for (const [member, value] of c.db.members(coll)) {
    bytes += member.length + value.length + coll.prefix.length + RECORD_OVERHEAD;
    if (++seen === samples) break;
  }
  return int(base + (seen === 0 ? 0 : Math.round((bytes / seen) * coll.count)));
};

export const KEY_MEMORY_COMMANDS: Record<string, RedisCommandSpec> = {
  memory: { arity: -2, kind: "read", flags: ["readonly"], keys: [2, 2, 1], run: usage },
};
