/**
 * Every Redis command TinyKV answers, by lower-case name (docs/resp.md lists
 * them with every difference from Redis). Session commands (MULTI, WATCH,
 * SUBSCRIBE, HELLO, ...) are listed by the RESP port's own table.
 */
import type { RedisCommandSpec } from "./command.ts";
import { KEY_EXPIRE_COMMANDS } from "./commands/key_expire.ts";
import { KEY_OBJECT_COMMANDS } from "./commands/key_object.ts";
import { KEY_RENAME_COMMANDS } from "./commands/key_rename.ts";
import { HASH_COMMANDS } from "./commands/hash.ts";
import { KEYSPACE_COMMANDS } from "./commands/keyspace.ts";
import { KEY_MEMORY_COMMANDS } from "./commands/key_memory.ts";
import { SET_ALGEBRA_COMMANDS } from "./commands/set_algebra.ts";
import { SET_BASIC_COMMANDS } from "./commands/set_basic.ts";
import { SET_RANDOM_COMMANDS } from "./commands/set_random.ts";
import { PUBSUB_COMMANDS } from "./commands/pubsub.ts";
import { STRING_FLOAT_COMMANDS } from "./commands/string_float.ts";
import { STRING_GETEX_COMMANDS } from "./commands/string_getex.ts";
import { STRING_RANGE_COMMANDS } from "./commands/string_range.ts";
import { STRING_READ_COMMANDS } from "./commands/string_read.ts";
import { STRING_SET_COMMANDS } from "./commands/string_set.ts";

export const REDIS_COMMANDS: ReadonlyMap<string, RedisCommandSpec> = new Map(
  Object.entries({
    ...KEYSPACE_COMMANDS,
    ...KEY_MEMORY_COMMANDS,
    ...PUBSUB_COMMANDS,
    ...KEY_EXPIRE_COMMANDS,
    ...KEY_OBJECT_COMMANDS,
    ...KEY_RENAME_COMMANDS,
    ...STRING_FLOAT_COMMANDS,
    ...STRING_GETEX_COMMANDS,
    ...STRING_RANGE_COMMANDS,
    ...HASH_COMMANDS,
    ...STRING_READ_COMMANDS,
    ...STRING_SET_COMMANDS,
    ...SET_BASIC_COMMANDS,
    ...SET_RANDOM_COMMANDS,
    ...SET_ALGEBRA_COMMANDS,
  }),
);
