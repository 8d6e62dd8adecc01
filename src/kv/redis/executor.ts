/**
 * Runs Redis commands against the store: one command, a pipeline of writes
 * batched into one log entry, or a MULTI/EXEC block. Everything a request
 * holds runs in one synchronous step at one revision. A command's error is
 * its own reply; the commands after it still run (Redis's MULTI rule).
 */
import { lowerName } from "./command_name.ts";
import { arityOk, type ExecContext } from "./command.ts";
import { REDIS_COMMANDS } from "./command_table.ts";
import { RedisDb } from "./database.ts";
import { RedisError, unknownCommand, wrongArity } from "./errors.ts";
import { array, error, NULL_ARRAY, type RedisReply } from "./reply.ts";
import type { RedisStorage } from "./storage.ts";
import { watchToken } from "./watch_token.ts";

export interface WatchedKey {
  readonly db: number;
  readonly key: Uint8Array;
  /** The key's watch token when it was watched (watch_token.ts). */
  readonly revision: number;
}

export interface RedisRun {
  readonly db: number;
  readonly commands: readonly (readonly Uint8Array[])[];
  /** MULTI/EXEC: one array reply, or a null array when a watched key changed. */
  readonly multi: boolean;
  readonly watches: readonly WatchedKey[];
}

/**
 * The reply is an array of one reply per command (or EXEC's reply for a
 * multi run); `db` is the database selected at the end.
 */
export function runRedis(run: RedisRun, storage: RedisStorage): { reply: RedisReply; db: number } {
  if (run.multi && run.watches.some((w) => watchToken(storage, w.db, w.key) !== w.revision)) {
    return { reply: NULL_ARRAY, db: run.db };
  }
  const ctx = new RunContext(storage, run.db, run.multi);
  const replies = run.commands.map((args) => runOne(ctx, args));
  return { reply: array(replies), db: ctx.db.index };
}

/** One run's context: a class, so a pipeline's runs share one shape and no closures. */
class RunContext implements ExecContext {
  db: RedisDb;

  constructor(readonly storage: RedisStorage, db: number, readonly multi: boolean) {
    this.db = new RedisDb(storage, db);
  }

  select(index: number): void {
    this.db = new RedisDb(this.storage, index);
  }

  notify(event: string, key: Uint8Array, cls: string): void {
    const storage = this.storage;
    if (storage.writable) storage.emit({ kind: "keyspace", db: this.db.index, event, key, cls });
  }
}

/** A request wrote more than its budget: nothing of it is kept (apply_request.ts). */
export class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

function runOne(ctx: ExecContext, args: readonly Uint8Array[]): RedisReply {
  const name = args.length > 0 ? lowerName(args[0]) : "";
  const spec = REDIS_COMMANDS.get(name);
  if (spec?.run === undefined) return error(unknownCommand(args));
  if (!arityOk(spec.arity, args.length)) return error(wrongArity(name));
  if (!ctx.storage.writable && spec.kind === "write") {
    return error(`ERR '${name}' is a write command and cannot run as a read`);
  }
  let reply: RedisReply;
  try {
    reply = spec.run(ctx, args);
  } catch (err) {
    if (!(err instanceof RedisError)) throw err;
    reply = error(err.line);
  }
  if (ctx.storage.overBudget()) {
    throw new BudgetExceeded(
      `ERR '${name}' would write more than TinyKV writes in one step ` +
        `(REDIS_REQUEST_OPS_MAX, docs/limits.md); nothing was changed: split it`,
    );
  }
  return reply;
}
