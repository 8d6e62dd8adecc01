/** Commands on whole keys and databases: DEL UNLINK EXISTS TYPE DBSIZE SELECT FLUSHDB FLUSHALL. */
import {
  type ExecContext,
  intArg,
  type RedisCommandSpec,
  type RunCommand,
  upper,
} from "../command.ts";
import type { RedisDb } from "../database.ts";
import { storedKeys } from "../key_walk.ts";
import { REDIS_DATABASES as DATABASES } from "../../../limits.ts";
import { DB_OUT_OF_RANGE, fail, SYNTAX } from "../errors.ts";
import { TYPE_NAMES } from "../meta_record.ts";
import { bulk, int, OK, simple } from "../reply.ts";

const del: RunCommand = (c, args) => {
  let n = 0;
  for (const key of args.slice(1)) {
    if (c.db.remove(key)) {
      n++;
      c.notify("del", key, "g");
    }
  }
  return int(n);
};

const exists: RunCommand = (c, args) =>
  int(args.slice(1).filter((k) => c.db.lookup(k) !== undefined).length);

const type: RunCommand = (c, args) => {
  const e = c.db.lookup(args[1]);
  return simple(e === undefined ? "none" : TYPE_NAMES[e.type]);
};

const dbsize: RunCommand = (c) => int(c.storage.keyCount(c.db.index));

/** SELECT's argument: Redis says "out of range" for any non-integer as well. */
export function dbIndexArg(arg: Uint8Array): number {
  const n = intArg(arg, "ERR value is not an integer or out of range");
  if (n < 0 || n >= DATABASES) fail(DB_OUT_OF_RANGE);
  return n;
}

const select: RunCommand = (c, args) => {
  c.select(dbIndexArg(args[1]));
  return OK;
};

/**
 * The reply of a FLUSHDB/FLUSHALL outside MULTI that stopped at its write
 * budget: the RESP port proposes it again until it answers OK. A database too
 * big for one step is so emptied in several (each step atomic), never refused.
 */
export const FLUSH_CONTINUES = "TINYKV-CONTINUE flush";

/** Engine writes a key's removal may cost at most (record, history, index, expiry, lease). */
const REMOVE_OPS = 8;

/**
 * Removes the database's keys, expired ones too (they count in DBSIZE until
 * swept, and Redis's is 0 after); false when it stopped at the budget
 * (outside MULTI only).
 */
function flush(c: ExecContext, db: RedisDb): boolean {
  const keys = [...storedKeys(db.s, db.index)];
  for (const e of keys) {
    if (!c.multi && !c.storage.roomFor(REMOVE_OPS, 3 * e.key.length + 256)) return false;
    db.remove(e.key);
  }
  return true;
}

function flushMode(args: readonly Uint8Array[]): void {
  if (args.length > 2) fail(SYNTAX);
  if (args.length === 2 && !["ASYNC", "SYNC"].includes(upper(args[1]))) fail(SYNTAX);
}

const flushdb: RunCommand = (c, args) => {
  flushMode(args);
  return flush(c, c.db) ? OK : simple(FLUSH_CONTINUES);
};

const flushall: RunCommand = (c, args) => {
  flushMode(args);
  const selected = c.db.index;
  let done = true;
  for (let i = 0; i < DATABASES && done; i++) {
    c.select(i);
    done = flush(c, c.db);
  }
  c.select(selected);
  return done ? OK : simple(FLUSH_CONTINUES);
};

const ping: RunCommand = (_c, args) => {
  if (args.length > 2) fail(`ERR wrong number of arguments for 'ping' command`);
  return args.length === 2 ? bulk(args[1]) : simple("PONG");
};

const echo: RunCommand = (_c, args) => bulk(args[1]);

const R = ["readonly", "fast"];
export const KEYSPACE_COMMANDS: Record<string, RedisCommandSpec> = {
  del: { arity: -2, kind: "write", flags: ["write"], keys: [1, -1, 1], run: del },
  unlink: { arity: -2, kind: "write", flags: ["write", "fast"], keys: [1, -1, 1], run: del },
  exists: { arity: -2, kind: "read", flags: R, keys: [1, -1, 1], run: exists },
  type: { arity: 2, kind: "read", flags: R, keys: [1, 1, 1], run: type },
  dbsize: { arity: 1, kind: "read", flags: R, keys: [0, 0, 0], run: dbsize },
  select: {
    arity: 2,
    kind: "read",
    flags: ["loading", "stale", "fast"],
    keys: [0, 0, 0],
    run: select,
  },
  flushdb: { arity: -1, kind: "write", flags: ["write"], keys: [0, 0, 0], run: flushdb },
  flushall: { arity: -1, kind: "write", flags: ["write"], keys: [0, 0, 0], run: flushall },
  ping: { arity: -1, kind: "read", flags: ["fast", "stale"], keys: [0, 0, 0], run: ping },
  echo: { arity: 2, kind: "read", flags: ["fast"], keys: [0, 0, 0], run: echo },
};
