/**
 * Container commands (CONFIG, CLIENT, COMMAND, OBJECT, DEBUG): the
 * subcommand's own arity and Redis's error texts for a wrong one.
 */
import { arityOk } from "../../kv/redis/command.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";

export interface Subcommand {
  /** Redis arity counting the container and the subcommand: CONFIG GET is -3. */
  readonly arity: number;
  run(ctx: RespContext, args: readonly Uint8Array[]): Reply | Promise<Reply>;
}

/** Runs `args[1]` of the container `name` from `table` (upper-case subcommand names). */
export function runSubcommand(
  name: string,
  table: Readonly<Record<string, Subcommand>>,
  ctx: RespContext,
  args: readonly Uint8Array[],
): Reply | Promise<Reply> {
  const given = fromUtf8(args[1]);
  const sub = Object.hasOwn(table, given.toUpperCase()) ? table[given.toUpperCase()] : undefined;
  if (sub === undefined) {
    throw new RespCommandError(
      `unknown subcommand '${given.slice(0, 128)}'. Try ${name.toUpperCase()} HELP.`,
    );
  }
  if (!arityOk(sub.arity, args.length)) {
    throw new RespCommandError(
      `wrong number of arguments for '${name.toLowerCase()}|${given.toLowerCase()}' command`,
    );
  }
  return sub.run(ctx, args);
}

/** Redis's HELP reply: a title line, then the lines given, then "HELP". */
export function helpReply(name: string, lines: readonly string[]): Reply {
  const all = [
    `${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    "HELP",
    "    Print this help.",
  ];
  return (w) => {
    w.arrayHeader(all.length);
    for (const line of all) w.simple(line);
  };
}
