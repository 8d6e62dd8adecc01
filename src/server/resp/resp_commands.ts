/**
 * The RESP port's own commands, by upper-case name: connection and node
 * commands, transactions, scans and pub/sub. Data commands come from the
 * Redis table (src/kv/redis/command_table.ts).
 */
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import type { RespCommandSpec } from "./resp_command.ts";
import { commandCommand, commandEntries } from "./resp_command_introspection.ts";
import { CONFIG } from "./resp_config.ts";
import { HSCAN_COMMANDS } from "./resp_hscan.ts";
import { ROLE } from "./resp_info_replication.ts";
import { LOCAL_COMMANDS } from "./resp_local_commands.ts";
import { MEMBER_SCAN_COMMANDS } from "./resp_member_scan.ts";
import { PUBSUB_COMMANDS } from "./resp_pubsub.ts";
import { SCAN_COMMANDS } from "./resp_scan_commands.ts";
import { SERVER_COMMANDS } from "./resp_server_commands.ts";
import { TRANSACTION_COMMANDS } from "./resp_transaction.ts";
import { WAIT } from "./resp_wait.ts";

/** COMMAND describes the table it is part of: built on first use. */
let entries: ReturnType<typeof commandEntries> | undefined;
const COMMAND = commandCommand(() => entries ??= commandEntries(RESP_COMMANDS, REDIS_COMMANDS));

export const RESP_COMMANDS: ReadonlyMap<string, RespCommandSpec> = new Map(
  // PUBSUB_COMMANDS comes after LOCAL_COMMANDS and SERVER_COMMANDS: its PING knows the
  // subscribed mode.
  Object.entries({
    ...LOCAL_COMMANDS,
    ...SERVER_COMMANDS,
    ...TRANSACTION_COMMANDS,
    ...SCAN_COMMANDS,
    ...MEMBER_SCAN_COMMANDS,
    ...PUBSUB_COMMANDS,
    ...HSCAN_COMMANDS,
    COMMAND,
    CONFIG,
    ROLE,
    WAIT,
  }),
);
