/**
 * The RESP port's own commands, by upper-case name: connection and node
 * commands, transactions and scans. Data commands come from the Redis table
 * (src/kv/redis/command_table.ts).
 */
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import type { RespCommandSpec } from "./resp_command.ts";
import { commandCommand, commandEntries } from "./resp_command_introspection.ts";
import { CONFIG } from "./resp_config.ts";
import { LOCAL_COMMANDS } from "./resp_local_commands.ts";
import { SCAN_COMMANDS } from "./resp_scan_commands.ts";
import { SERVER_COMMANDS } from "./resp_server_commands.ts";
import { TRANSACTION_COMMANDS } from "./resp_transaction.ts";
import { WAIT } from "./resp_wait.ts";

/** COMMAND describes the table it is part of: built on first use. */
let entries: ReturnType<typeof commandEntries> | undefined;
const COMMAND = commandCommand(() => entries ??= commandEntries(RESP_COMMANDS, REDIS_COMMANDS));

export const RESP_COMMANDS: ReadonlyMap<string, RespCommandSpec> = new Map(
  Object.entries({
    ...LOCAL_COMMANDS,
    ...SERVER_COMMANDS,
    ...TRANSACTION_COMMANDS,
    ...SCAN_COMMANDS,
    COMMAND,
    CONFIG,
    WAIT,
  }),
);
