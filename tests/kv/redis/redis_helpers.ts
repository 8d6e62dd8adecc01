/** Runs Redis commands against a real state machine (no Raft): writes apply, reads read. */
import { LocalKvService } from "../../server/local_kv_service.ts";
import { readRedis } from "../../../src/kv/redis/read_run.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import type { WatchedKey } from "../../../src/kv/redis/executor.ts";
import { utf8 } from "../../../src/util/bytes.ts";

export type Cmd = readonly string[];

export interface Applied {
  readonly reply: RedisReply;
  readonly db: number;
}

export class RedisBench {
  private constructor(readonly service: LocalKvService) {}

  static async open(): Promise<RedisBench> {
    return new RedisBench(await LocalKvService.open());
  }

  /** Applies commands as one log entry at replicated time `nowMs`. */
  async apply(
    commands: readonly Cmd[],
    o: { db?: number; multi?: boolean; watches?: WatchedKey[]; nowMs?: number } = {},
  ): Promise<Applied> {
    const outcome = await this.service.execute({
      proposedAtMs: BigInt(o.nowMs ?? 1_000_000),
      body: {
        case: "redis",
        value: {
          db: o.db ?? 0,
          commands: commands.map((c) => ({ args: c.map((a) => utf8(a)) })),
          multi: o.multi ?? false,
          watches: (o.watches ?? []).map((w) => ({ ...w, revision: BigInt(w.revision) })),
        },
      },
    });
    if (outcome.case !== "redis") throw new Error(`outcome ${outcome.case}`);
    return { reply: decodeReply(outcome.value.reply), db: outcome.value.db };
  }

  /** One write command's reply. */
  async write(cmd: Cmd, o: { db?: number; nowMs?: number } = {}): Promise<RedisReply> {
    const r = await this.apply([cmd], o);
    return r.reply.k === "array" ? r.reply.items[0] : r.reply;
  }

  /** One read command's reply, on the state as applied (read time: the last applied time). */
  read(cmd: Cmd, db = 0): RedisReply {
    const r = readRedis(this.service.kv, {
      db,
      commands: [cmd.map((a) => utf8(a))],
      multi: false,
      watches: [],
    });
    return r.reply.k === "array" ? r.reply.items[0] : r.reply;
  }
}

/** A reply as plain data for assert.deepEqual: strings, numbers, null, arrays, errors as {err}. */
export function plain(r: RedisReply): unknown {
  switch (r.k) {
    case "simple":
      return r.s;
    case "error":
      return { err: r.s };
    case "int":
      return Number(r.n);
    case "bulk":
      return new TextDecoder().decode(r.b);
    case "null":
    case "nullArray":
      return null;
    case "double":
      return r.d;
    default:
      return r.items.map(plain);
  }
}
