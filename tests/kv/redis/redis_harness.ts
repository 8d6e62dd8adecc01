/**
 * Runs Redis commands on a real KvStateMachine (no Raft) the way the RESP port
 * does: writes as RedisRequests through apply, at a replicated time the test
 * sets; reads on the local state at the same time. Replies come back as RESP2
 * text, so expectations read exactly like redis-server's bytes.
 */
import { RedisRequestSchema } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { REDIS_COMMANDS } from "../../../src/kv/redis/command_table.ts";
import { RedisDb } from "../../../src/kv/redis/database.ts";
import type { RedisRun } from "../../../src/kv/redis/executor.ts";
import { readRedis } from "../../../src/kv/redis/read_run.ts";
import { ReadStorage } from "../../../src/kv/redis/read_storage.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import { writeReply } from "../../../src/server/resp/resp_reply.ts";
import { RespWriter } from "../../../src/server/resp/resp_writer.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import type { RedisCommandSpec, RunCommand } from "../../../src/kv/redis/command.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import { int } from "../../../src/kv/redis/reply.ts";
import { applyAll, cmd, openKv } from "../kv_helpers.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";

/**
 * A command line: words split on spaces ("\e" is an empty argument, "\s" a
 * space inside a word), or the arguments themselves.
 */
export type Line = string | readonly (string | Uint8Array)[];

const wordOf = (w: string): string => w === "\\e" ? "" : w.replaceAll("\\s", " ");

export function argsOf(line: Line): Uint8Array[] {
  const words = typeof line === "string" ? line.split(" ").map(wordOf) : line;
  return words.map((w) => typeof w === "string" ? utf8(w) : w);
}

/** A reply as RESP2 bytes, decoded one char per byte (so "\u0000" is a zero byte). */
export function respText(reply: RedisReply): string {
  const w = new RespWriter();
  writeReply(w, reply);
  return String.fromCharCode(...w.take());
}

/**
 * Hashes and sets for the key commands to work on, made without depending on
 * HSET/SADD: `test.collection hash key field value ...` or `test.collection set
 * key member ...`, registered under a name no Redis client sends. Replies the
 * number of new members, as HSET and SADD do.
 */
const fill: RunCommand = (c, args) => {
  const hash = fromUtf8(args[1]) === "hash";
  const coll = c.db.collection(args[2], hash ? RedisType.Hash : RedisType.Set, true);
  if (coll === undefined) throw new Error("no collection");
  let added = 0;
  for (let i = 3; i < args.length; i += hash ? 2 : 1) {
    if (c.db.putMember(coll, args[i], hash ? args[i + 1] : new Uint8Array(0))) added++;
  }
  c.db.save(coll);
  return int(added);
};
const TEST_COMMAND = "test.collection";

export class RedisHarness {
  /** The replicated time of the next write and the node's read time (Unix ms). */
  now = 1_700_000_000_000;
  db = 0;

  private constructor(readonly kv: KvStateMachine) {
    kv.wallClock = () => this.now;
    kv.redisEventsWanted = true;
  }

  static async open(): Promise<RedisHarness> {
    const table = REDIS_COMMANDS as Map<string, RedisCommandSpec>;
    table.set(TEST_COMMAND, { arity: -3, kind: "write", flags: [], keys: [2, 2, 1], run: fill });
    return new RedisHarness((await openKv()).kv);
  }

  #run(lines: readonly Line[], multi: boolean): RedisRun {
    return { db: this.db, commands: lines.map(argsOf), multi, watches: [] };
  }

  /** One RedisRequest through apply: the reply of each command (or EXEC's, for `multi`). */
  async write(lines: readonly Line[], multi = false): Promise<RedisReply> {
    const run = this.#run(lines, multi);
    const value: MessageInitShape<typeof RedisRequestSchema> = {
      db: run.db,
      commands: run.commands.map((args) => ({ args: [...args] })),
      multi,
    };
    const [outcome] = await applyAll(this.kv, [
      cmd({ body: { case: "redis", value }, proposedAtMs: BigInt(this.now) }),
    ]);
    if (outcome.body.case !== "redis") throw new Error(`outcome ${outcome.body.case}`);
    this.db = outcome.body.value.db;
    return decodeReply(outcome.body.value.reply);
  }

  read(lines: readonly Line[]): RedisReply {
    const { reply, db } = readRedis(this.kv, this.#run(lines, false));
    this.db = db;
    return reply;
  }

  /** One command, routed by its kind as the RESP port does; its RESP2 reply text. */
  async run(line: Line): Promise<string> {
    const name = new TextDecoder().decode(argsOf(line)[0]).toLowerCase();
    const write = REDIS_COMMANDS.get(name)?.kind === "write";
    const reply = write ? await this.write([line]) : this.read([line]);
    return respText(reply.k === "array" ? reply.items[0] : reply);
  }

  /** MULTI/EXEC of `lines`: EXEC's RESP2 reply text. */
  async exec(lines: readonly Line[]): Promise<string> {
    return respText(await this.write(lines, true));
  }

  /** Keyspace events applied since the last call, as "db event key class". */
  events(): string[] {
    return this.kv.drainRedisEvents().flatMap((e) =>
      e.kind === "keyspace"
        ? [`${e.db} ${e.event} ${new TextDecoder().decode(e.key)} ${e.cls}`]
        : []
    );
  }

  /** Database `index` read directly (expiry instants, collections) at the harness's time. */
  database(index: number): RedisDb {
    const kv = this.kv;
    return new RedisDb(new ReadStorage(kv.db, this.now, (d) => kv.redisKeyCount(d)), index);
  }
}
