/**
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the port's parameter
 * registry (resp_config_registry.ts). Error texts are Redis 7.0's.
 */
import { globMatch } from "../../kv/redis/glob.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import type { ConfigParameter } from "./resp_config_registry.ts";
import { newStats } from "./resp_node.ts";
import { helpReply, runSubcommand, type Subcommand } from "./resp_subcommands.ts";

/** Parameters matching any of the patterns (case-insensitive, as Redis matches them). */
function configGet(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const patterns = args.slice(2).map((p) => utf8(fromUtf8(p).toLowerCase()));
  const found: [string, string][] = [];
  for (const [name, param] of ctx.node.config.entries()) {
    const subject = utf8(name);
    if (patterns.some((p) => globMatch(p, subject))) found.push([name, param.get()]);
  }
  return (w) => {
    w.mapHeader(found.length);
    for (const [name, value] of found) w.bulkString(name).bulkString(value);
  };
}

const setFailed = (name: string, why: string) =>
  new RespCommandError(`CONFIG SET failed (possibly related to argument '${name}') - ${why}`);

/** All pairs or none: a failing value puts back the ones already set (as Redis does). */
function configSet(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  if ((args.length - 2) % 2 !== 0) throw new RespCommandError("syntax error");
  const changes: { name: string; given: string; param: ConfigParameter; value: string }[] = [];
  for (let i = 2; i < args.length; i += 2) {
    const given = fromUtf8(args[i]);
    const param = ctx.node.config.get(given);
    if (param === undefined) {
      throw new RespCommandError(
        `Unknown option or number of arguments for CONFIG SET - '${given}'`,
      );
    }
    const name = given.toLowerCase();
    if (changes.some((c) => c.name === name)) throw setFailed(given, "duplicate parameter");
    changes.push({ name, given, param, value: fromUtf8(args[i + 1]) });
  }
  const before = changes.map((c) => c.param.get());
  for (let i = 0; i < changes.length; i++) {
    try {
      changes[i].param.set(changes[i].value);
    } catch (err) {
      for (let j = i - 1; j >= 0; j--) changes[j].param.set(before[j]);
      throw setFailed(changes[i].given, err instanceof Error ? err.message : String(err));
    }
  }
  return (w) => w.ok();
}

const CONFIG_SUBCOMMANDS: Record<string, Subcommand> = {
  GET: { arity: -3, run: configGet },
  SET: { arity: -4, run: configSet },
  RESETSTAT: {
    arity: 2,
    run: (ctx) => {
      Object.assign(ctx.node.stats, newStats());
      return (w) => w.ok();
    },
  },
  REWRITE: {
    arity: 2,
    run: () => {
      // TinyKV takes its settings from flags, never from a file it could rewrite.
      throw new RespCommandError("The server is running without a config file");
    },
  },
  HELP: {
    arity: 2,
    run: () =>
      helpReply("CONFIG", [
        "GET <pattern>",
        "    The parameters whose names match <pattern>, with their values.",
        "SET <directive> <value>",
        "    Change <directive> to <value> (the parameters TinyKV can change).",
        "RESETSTAT",
        "    Zero the counters INFO reports.",
        "REWRITE",
        "    Refused: TinyKV has no configuration file.",
      ]),
  },
};

export const CONFIG: RespCommandSpec = {
  arity: -2,
  kind: "local",
  run: (ctx, args) => runSubcommand("config", CONFIG_SUBCOMMANDS, ctx, args),
};
