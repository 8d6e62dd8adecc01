/**
 * Every Redis command TinyKV answers, by lower-case name (docs/resp.md lists
 * them with every difference from Redis). Session commands (MULTI, WATCH,
 * SUBSCRIBE, HELLO, ...) are listed by the RESP port's own table.
 */
import type { RedisCommandSpec } from "./command.ts";
import { HASH_COMMANDS } from "./commands/hash.ts";
import { KEYSPACE_COMMANDS } from "./commands/keyspace.ts";
import { STRING_READ_COMMANDS } from "./commands/string_read.ts";
import { STRING_SET_COMMANDS } from "./commands/string_set.ts";

export const REDIS_COMMANDS: ReadonlyMap<string, RedisCommandSpec> = new Map(
  Object.entries({
    ...KEYSPACE_COMMANDS,
    ...HASH_COMMANDS,
    ...STRING_READ_COMMANDS,
    ...STRING_SET_COMMANDS,
  }),
);
