/**
 * Redis commands against a real state machine without Raft (LocalKvService):
 * writes go through the apply step like a log entry, reads through readRedis
 * on the engine, as the RESP port runs them. Replies are rendered as the RESP2
 * or RESP3 bytes a client would receive, so tests compare them with what
 * redis-server sends.
 */
import { REDIS_COMMANDS } from "../../../src/kv/redis/command_table.ts";
import type { WatchedKey } from "../../../src/kv/redis/executor.ts";
import type { RedisEvent } from "../../../src/kv/redis/storage.ts";
import { watchToken } from "../../../src/kv/redis/watch_token.ts";
import { ReadStorage } from "../../../src/kv/redis/read_storage.ts";
import { readRedis } from "../../../src/kv/redis/read_run.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import { writeReply } from "../../../src/server/resp/resp_reply.ts";
import { type RespVersion, RespWriter } from "../../../src/server/resp/resp_writer.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../../server/local_kv_service.ts";

export type Arg = string | Uint8Array;
const bytesOf = (a: Arg) => typeof a === "string" ? utf8(a) : a;

/** A reply as RESP bytes, as text (latin1, so any byte shows). */
export function resp(reply: RedisReply, version: RespVersion = 2): string {
  const w = new RespWriter();
  w.version = version;
  writeReply(w, reply);
  let text = "";
  for (const b of w.take()) text += String.fromCharCode(b);
  return text;
}

export class RedisHarness {
  /** The selected database (SELECT inside MULTI moves it, as on a connection). */
  db = 0;
  readonly #events: RedisEvent[] = [];

  private constructor(readonly service: LocalKvService) {
    service.onRedisEvents = (events) => this.#events.push(...events);
  }

  static async open(): Promise<RedisHarness> {
    const service = await LocalKvService.open();
    service.kv.redisEventsWanted = true;
    return new RedisHarness(service);
  }

  /** Runs one command (a write through the apply step, a read on the engine). */
  async reply(...args: Arg[]): Promise<RedisReply> {
    const name = fromUtf8(bytesOf(args[0])).toLowerCase();
    const write = REDIS_COMMANDS.get(name)?.kind === "write";
    const r = await this.#run([args.map(bytesOf)], false, write);
    return r.k === "array" && r.items.length === 1 ? r.items[0] : r;
  }

  /** One command's reply as RESP2 (or RESP3) text. */
  async run(...args: Arg[]): Promise<string> {
    return resp(await this.reply(...args));
  }

  async run3(...args: Arg[]): Promise<string> {
    return resp(await this.reply(...args), 3);
  }

  /** MULTI ... EXEC as one replicated request: EXEC's reply. */
  async exec(...commands: Arg[][]): Promise<RedisReply> {
    return await this.#run(commands.map((c) => c.map(bytesOf)), true, true);
  }

  /** WATCH: the key's revision now, for a later execWatching. */
  watch(key: Arg): WatchedKey {
    const kv = this.service.kv;
    const storage = new ReadStorage(kv.db, kv.readNow, (d) => kv.redisKeyCount(d));
    return {
      db: this.db,
      key: bytesOf(key),
      revision: watchToken(storage, this.db, bytesOf(key)),
    };
  }

  /** WATCH ... MULTI ... EXEC. */
  async execWatching(watches: WatchedKey[], ...commands: Arg[][]): Promise<RedisReply> {
    return await this.#run(commands.map((c) => c.map(bytesOf)), true, true, watches);
  }

  async #run(
    commands: Uint8Array[][],
    multi: boolean,
    write: boolean,
    watches: WatchedKey[] = [],
  ): Promise<RedisReply> {
    const run = { db: this.db, commands, multi, watches };
    if (!write) {
      const r = readRedis(this.service.kv, run);
      this.db = r.db;
      return r.reply;
    }
    const value = {
      db: this.db,
      commands: commands.map((args) => ({ args })),
      multi,
      watches: watches.map((w) => ({ ...w, revision: BigInt(w.revision) })),
    };
    const outcome = await this.service.execute({ body: { case: "redis", value } });
    if (outcome.case !== "redis") throw new Error(`outcome ${outcome.case}`);
    this.db = outcome.value.db;
    return decodeReply(outcome.value.reply);
  }

  /** Keyspace events applied since the last call: "db:event:class:key". */
  events(): string[] {
    return this.#events.splice(0).flatMap((e) =>
      e.kind === "keyspace" ? [`${e.db}:${e.event}:${e.cls}:${fromUtf8(e.key)}`] : []
    );
  }
}

/** RESP2 text of an array of bulk strings (what redis-cli shows as a list). */
export function bulkArray(items: readonly string[]): string {
  return `*${items.length}\r\n${items.map((s) => `$${utf8(s).length}\r\n${s}\r\n`).join("")}`;
}
