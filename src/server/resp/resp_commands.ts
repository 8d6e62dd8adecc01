/** The RESP command table: every command TinyKV answers, by upper-case name. */
import { fromUtf8 } from "../../util/bytes.ts";
import { RespCommandError, type RespCommandSpec } from "./resp_command.ts";
import { DATA_COMMANDS } from "./resp_data_commands.ts";
import { LOCAL_COMMANDS } from "./resp_local_commands.ts";

/** COMMAND [COUNT|DOCS]: what redis-cli and client libraries ask on connect. */
const COMMAND: RespCommandSpec = {
  arity: -1,
  kind: "local",
  run: (_ctx, args) => {
    const sub = args.length > 1 ? fromUtf8(args[1]).toUpperCase() : "";
    if (sub === "COUNT") return (w) => w.integer(RESP_COMMANDS.size);
    if (sub === "DOCS") return (w) => w.mapHeader(0);
    if (sub === "") return (w) => w.arrayHeader(0);
    throw new RespCommandError(`unsupported COMMAND subcommand '${sub}'`);
  },
};

export const RESP_COMMANDS: ReadonlyMap<string, RespCommandSpec> = new Map(
  Object.entries({ ...DATA_COMMANDS, ...LOCAL_COMMANDS, COMMAND }),
);
