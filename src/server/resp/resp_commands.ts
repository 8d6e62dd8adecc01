/**
 * The RESP port's own commands, by upper-case name: connection and node
 * commands, transactions and scans. Data commands come from the Redis table
 * (src/redis/command_table.ts).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import { REDIS_COMMANDS } from "../../kv/redis/command_table.ts";
import { RespCommandError, type RespCommandSpec } from "./resp_command.ts";
import { HSCAN_COMMANDS } from "./resp_hscan.ts";
import { LOCAL_COMMANDS } from "./resp_local_commands.ts";
import { MEMBER_SCAN_COMMANDS } from "./resp_member_scan.ts";
import { PUBSUB_COMMANDS } from "./resp_pubsub.ts";
import { SCAN_COMMANDS } from "./resp_scan_commands.ts";
import { TRANSACTION_COMMANDS } from "./resp_transaction.ts";

/** Every command name once (HSCAN is in both tables: the port's, and the executor's for MULTI). */
function commandCount(): number {
  const names = new Set([...RESP_COMMANDS.keys()].map((n) => n.toLowerCase()));
  for (const name of REDIS_COMMANDS.keys()) names.add(name);
  return names.size;
}

/** COMMAND [COUNT|DOCS]: what redis-cli and client libraries ask on connect. */
const COMMAND: RespCommandSpec = {
  arity: -1,
  kind: "local",
  run: (_ctx, args) => {
    const sub = args.length > 1 ? fromUtf8(args[1]).toUpperCase() : "";
    if (sub === "COUNT") return (w) => w.integer(commandCount());
    if (sub === "DOCS") return (w) => w.mapHeader(0);
    if (sub === "") return (w) => w.arrayHeader(0);
    throw new RespCommandError(`unsupported COMMAND subcommand '${sub}'`);
  },
};

export const RESP_COMMANDS: ReadonlyMap<string, RespCommandSpec> = new Map(
  // PUBSUB_COMMANDS comes after LOCAL_COMMANDS: its PING knows the subscribed mode.
  Object.entries({
    ...LOCAL_COMMANDS,
    ...TRANSACTION_COMMANDS,
    ...SCAN_COMMANDS,
    ...MEMBER_SCAN_COMMANDS,
    ...PUBSUB_COMMANDS,
    ...HSCAN_COMMANDS,
    COMMAND,
  }),
);
