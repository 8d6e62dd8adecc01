/**
 * Every Redis command TinyKV answers, by lower-case name (docs/resp.md lists
 * them with every difference from Redis). Session commands (MULTI, WATCH,
 * SUBSCRIBE, HELLO, ...) are listed by the RESP port's own table.
 */
import type { RedisCommandSpec } from "./command.ts";
import { KEYSPACE_COMMANDS } from "./commands/keyspace.ts";
import { SET_ALGEBRA_COMMANDS } from "./commands/set_algebra.ts";
import { SET_BASIC_COMMANDS } from "./commands/set_basic.ts";
import { SET_RANDOM_COMMANDS } from "./commands/set_random.ts";
import { PUBSUB_COMMANDS } from "./commands/pubsub.ts";
import { STRING_READ_COMMANDS } from "./commands/string_read.ts";
import { STRING_SET_COMMANDS } from "./commands/string_set.ts";

export const REDIS_COMMANDS: ReadonlyMap<string, RedisCommandSpec> = new Map(
  Object.entries({
    ...KEYSPACE_COMMANDS,
    ...PUBSUB_COMMANDS,
    ...STRING_READ_COMMANDS,
    ...STRING_SET_COMMANDS,
    ...SET_BASIC_COMMANDS,
    ...SET_RANDOM_COMMANDS,
    ...SET_ALGEBRA_COMMANDS,
  }),
);
