/**
 * Node commands a Redis client may send: TIME, LASTSAVE, SAVE, BGSAVE, DEBUG
 * SLEEP. TinyKV makes every write durable before acknowledging
 * it, so there is never unsaved data: SAVE and BGSAVE succeed at once and
 * LASTSAVE is the current second (everything up to now is on disk).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import type { RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { pauseUntil } from "./resp_pause.ts";
import { helpReply, type Subcommand } from "./resp_subcommands.ts";

const nowSeconds = (ctx: RespContext) => Math.floor(ctx.node.clock.wallMs() / 1000);

/** Redis reads the seconds with atof: anything unparsable sleeps 0. */
function sleepSeconds(arg: Uint8Array): number {
  const s = Number.parseFloat(fromUtf8(arg));
  return Number.isFinite(s) && s > 0 ? s : 0;
}

const DEBUG_SUBCOMMANDS: Record<string, Subcommand> = {
  SLEEP: {
    arity: 3,
    run: async (ctx, args) => {
      // Only this connection waits: the node keeps serving the others.
      await pauseUntil(ctx, sleepSeconds(args[2]) * 1000, () => false);
      return (w) => w.ok();
    },
  },
  HELP: {
    arity: 2,
    run: () =>
      helpReply("DEBUG", ["SLEEP <seconds>", "    Delay this connection's reply by <seconds>."]),
  },
};

/** Redis's words for a DEBUG subcommand it does not have, or a wrong arity. */
function debugRun(ctx: RespContext, args: readonly Uint8Array[]) {
  const sub = fromUtf8(args[1]);
  const spec = DEBUG_SUBCOMMANDS[sub.toUpperCase()];
  if (spec === undefined || spec.arity !== args.length) {
    throw new RespCommandError(
      `unknown subcommand or wrong number of arguments for '${sub}'. Try DEBUG HELP.`,
    );
  }
  return spec.run(ctx, args);
}

export const SERVER_COMMANDS: Record<string, RespCommandSpec> = {
  TIME: {
    arity: 1,
    kind: "local",
    run: (ctx) => {
      const ms = Math.floor(ctx.node.clock.wallMs());
      const seconds = String(Math.floor(ms / 1000));
      const micros = String((ms % 1000) * 1000);
      return (w) => w.arrayHeader(2).bulkString(seconds).bulkString(micros);
    },
  },
  LASTSAVE: {
    arity: 1,
    kind: "local",
    run: (ctx) => {
      const at = nowSeconds(ctx);
      return (w) => w.integer(at);
    },
  },
  SAVE: { arity: 1, kind: "local", run: () => (w) => w.ok() },
  BGSAVE: {
    arity: -1,
    kind: "local",
    run: (_ctx, args) => {
      const schedule = args.length === 2 && fromUtf8(args[1]).toUpperCase() === "SCHEDULE";
      if (args.length > 2 || (args.length === 2 && !schedule)) {
        throw new RespCommandError("syntax error");
      }
      return (w) => w.simple("Background saving started");
    },
  },
  // Exclusive: a sleeping connection runs nothing behind the sleep, as in Redis.
  // (OBJECT is the executor's: src/kv/redis/commands/key_object.ts.)
  DEBUG: { arity: -2, kind: "exclusive", run: debugRun },
};
