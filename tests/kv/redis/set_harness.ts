/**
 * Runs Redis commands on a real KvStateMachine without Raft (LocalKvService):
 * writes as replicated RedisRequests applied at the next log index, reads on
 * the local engine, as the RESP port runs them. Replies are shown as plain
 * values so tests can compare them with what redis-server answers.
 */
import { REDIS_COMMANDS } from "../../../src/kv/redis/command_table.ts";
import { readRedis } from "../../../src/kv/redis/read_run.ts";
import type { RedisEvent } from "../../../src/kv/redis/storage.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../../server/local_kv_service.ts";

/** A reply as a value: integers, strings (bulk and simple), null, arrays, sets, errors. */
export type Shown =
  | null
  | number
  | string
  | { readonly error: string }
  | { readonly set: readonly Shown[] }
  | readonly Shown[];

export function show(r: RedisReply): Shown {
  switch (r.k) {
    case "int":
      return Number(r.n);
    case "bulk":
      return fromUtf8(r.b);
    case "simple":
      return r.s;
    case "null":
    case "nullArray":
      return null;
    case "error":
      return { error: r.s };
    case "double":
      return r.d;
    case "set":
      return { set: r.items.map(show) };
    case "array":
    case "map":
    case "pairs":
      return r.items.map(show);
  }
}

type Arg = string | Uint8Array;
const bytes = (a: Arg) => typeof a === "string" ? utf8(a) : a;

export class RedisHarness {
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

  /** Runs one command (a write goes through the state machine's apply step). */
  async run(...args: Arg[]): Promise<Shown> {
    const reply = await this.#run([args.map(bytes)], false);
    return reply.k === "array" ? show(reply.items[0]) : show(reply);
  }

  /** MULTI ... EXEC: the commands as one request, EXEC's reply. */
  async multi(...commands: Arg[][]): Promise<Shown> {
    return show(await this.#run(commands.map((c) => c.map(bytes)), true));
  }

  async #run(commands: Uint8Array[][], multi: boolean): Promise<RedisReply> {
    const run = { db: this.db, commands, multi, watches: [] };
    const write = commands.some((c) =>
      REDIS_COMMANDS.get(fromUtf8(c[0]).toLowerCase())?.kind === "write"
    );
    if (!write) {
      const r = await this.service.readState(undefined, (kv) => readRedis(kv, run));
      this.db = r.db;
      return r.reply;
    }
    const outcome = await this.service.execute({
      body: {
        case: "redis",
        value: { db: this.db, commands: commands.map((args) => ({ args })), multi, watches: [] },
      },
    });
    if (outcome.case !== "redis") throw new Error(`outcome ${outcome.case}`);
    this.db = outcome.value.db;
    return decodeReply(outcome.value.reply);
  }

  /** Keyspace events since the last call, as "event key" (db prefix when not 0). */
  events(): string[] {
    return this.#events.splice(0).flatMap((e) =>
      e.kind === "keyspace" ? [`${e.db === 0 ? "" : `${e.db}:`}${e.event} ${fromUtf8(e.key)}`] : []
    );
  }
}

/** A set reply's members, sorted (Redis's order differs; TinyKV's is byte order). */
export function sorted(r: Shown): string[] {
  const items = r !== null && typeof r === "object" && "set" in r ? r.set : r;
  if (!Array.isArray(items)) throw new Error(`not a set or array: ${JSON.stringify(r)}`);
  return items.map(String).sort();
}
