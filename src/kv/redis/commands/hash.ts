/** The hash commands (docs/resp.md): a hash is a collection with one engine key per field. */
import type { RedisCommandSpec } from "../command.ts";
import { HASH_INCR_COMMANDS } from "./hash_incr.ts";
import { HASH_RANDOM_COMMANDS } from "./hash_random.ts";
import { HASH_READ_COMMANDS } from "./hash_read.ts";
import { HASH_SCAN_COMMANDS } from "./hash_scan.ts";
import { HASH_WRITE_COMMANDS } from "./hash_write.ts";

export const HASH_COMMANDS: Record<string, RedisCommandSpec> = {
  ...HASH_READ_COMMANDS,
  ...HASH_WRITE_COMMANDS,
  ...HASH_INCR_COMMANDS,
  ...HASH_RANDOM_COMMANDS,
  ...HASH_SCAN_COMMANDS,
};
