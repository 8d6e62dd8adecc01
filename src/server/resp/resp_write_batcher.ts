/**
 * Gathers the RESP port's writes into batch log entries (docs/server.md, "RESP write
 * batching"). The writes of one event-loop turn — a pipeline, every connection whose data
 * arrived in that turn — gather until the turn's I/O callbacks have run (`afterIo`) and are
 * proposed together as one RedisBatch command; while RESP_WRITE_BATCHES_INFLIGHT_MAX entries
 * are unanswered, new writes gather for the next, since they would wait for the same log
 * write anyway. Writes go into the log in the order they were submitted (so each
 * connection's order holds), each answered by its own outcome.
 * A request whose writes its arguments do not bound (MULTI/EXEC, FLUSHALL, COPY...) or that
 * is over the batch byte limit is proposed alone, in its place in that order. The requests
 * of a batch share its revision, like the writes of one transaction; a key written by one
 * request ends the batch before the next request that writes it. Keys are compared by a
 * 32-bit hash of their database and bytes: two keys that share one only end a batch early.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, type RedisRequestSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  RESP_WRITE_BATCH_BYTES_MAX,
  RESP_WRITE_BATCH_REQUESTS_MAX,
  RESP_WRITE_BATCHES_INFLIGHT_MAX,
} from "../../limits_ops.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import { type CommandOutcome, type KvService, ServiceError } from "../kv_service.ts";
import { serviceErrorOf } from "../node/proposals.ts";

export type RedisRequestInit = MessageInitShape<typeof RedisRequestSchema>;

/**
 * Commands whose writes are bounded by their arguments: they may share an entry. Not PUBLISH:
 * its message goes out at apply, and must not pass the replies of commands before it.
 */
const BATCHABLE = new Set([
  "set",
  "setex",
  "psetex",
  "setnx",
  "getset",
  "getdel",
  "mset",
  "msetnx",
  "incr",
  "decr",
  "incrby",
  "decrby",
  "incrbyfloat",
  "del",
  "unlink",
  "expire",
  "pexpire",
  "expireat",
  "pexpireat",
  "persist",
  "hset",
  "hmset",
  "hsetnx",
  "hdel",
  "hincrby",
  "hincrbyfloat",
  "sadd",
  "srem",
]);

interface Waiting {
  readonly request: RedisRequestInit;
  /** Argument bytes when batchable, else -1. */
  readonly bytes: number;
  /** Hashes of the keys it writes (keyHash), when batchable. */
  readonly keys: readonly number[];
  readonly resolve: (o: CommandOutcome) => void;
  readonly reject: (e: unknown) => void;
}

/** Commands whose every argument after the name is a key; MSET's keys are every other one. */
const ALL_KEYS = new Set(["del", "unlink"]);
const PAIRS = new Set(["mset", "msetnx"]);

/**
 * FNV-1a over the database and the key's bytes: the batcher's test for "may be the same key".
 * Equal keys always hash equal; unequal ones rarely do, and then only end a batch early.
 */
export function keyHash(db: number, key: Uint8Array): number {
  let h = (0x811c9dc5 ^ db) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h >>> 0;
}

const NO_KEYS: readonly number[] = [];

/** A lone batchable command's bytes and keys, or undefined when it must go alone. */
function batchable(r: RedisRequestInit): { bytes: number; keys: number[] } | undefined {
  const commands = r.commands ?? [];
  if (r.multi || (r.watches?.length ?? 0) > 0 || commands.length !== 1) return undefined;
  const args = commands[0].args ?? [];
  const name = args.length > 1 ? lowerName(args[0]) : "";
  if (!BATCHABLE.has(name)) return undefined;
  let bytes = 0;
  for (const a of args) bytes += a.length;
  if (bytes > RESP_WRITE_BATCH_BYTES_MAX) return undefined;
  const step = PAIRS.has(name) ? 2 : 1;
  const end = ALL_KEYS.has(name) || PAIRS.has(name) ? args.length : 2;
  const keys: number[] = [];
  for (let i = 1; i < end; i += step) keys.push(keyHash(r.db ?? 0, args[i]));
  return { bytes, keys };
}

/**
 * Runs a function once the I/O callbacks of the current event-loop turn have run (the
 * platform's `afterIo`); a microtask where the platform has none (the simulator).
 */
export type AfterIo = (fn: () => void) => void;

const microtask: AfterIo = (fn) => queueMicrotask(fn);

export class RespWriteBatcher {
  #queue: Waiting[] = [];
  #scheduled = false;
  #inflight = 0;
  /** Counters for tests and INFO: entries proposed, and requests they carried. */
  readonly counts = { batches: 0, batched: 0, alone: 0 };

  /**
   * `afterIo` decides how long a batch gathers. Under Bun each socket's data callback ends in a
   * microtask checkpoint, so a microtask saw one connection's writes, and a write arriving
   * with room in flight went alone: at redis-benchmark -c 50 -P 1, 60% of the entries carried
   * one SET, each paying a whole entry's proposal, log write and apply pass (issue 14).
   */
  constructor(readonly service: KvService, readonly afterIo: AfterIo = microtask) {}

  /** Proposes `request` in its turn; resolves with its own applied outcome (a RedisResponse). */
  submit(request: RedisRequestInit): Promise<CommandOutcome> {
    return new Promise((resolve, reject) => {
      const b = batchable(request);
      this.#queue.push({
        request,
        bytes: b?.bytes ?? -1,
        keys: b?.keys ?? NO_KEYS,
        resolve,
        reject,
      });
      // At the in-flight limit, #settled proposes what gathered; else the turn's end does.
      if (!this.#scheduled && this.#inflight < RESP_WRITE_BATCHES_INFLIGHT_MAX) {
        this.#scheduled = true;
        this.afterIo(() => this.#flush());
      }
    });
  }

  #proposeAlone(request: RedisRequestInit): Promise<CommandOutcome> {
    this.#inflight++;
    this.counts.alone++;
    const p = this.service.execute({ body: { case: "redis", value: request } });
    const settled = () => this.#settled();
    p.then(settled, settled);
    return p;
  }

  /** An entry was answered: what gathered meanwhile goes next. */
  #settled(): void {
    this.#inflight--;
    if (this.#queue.length > 0 && !this.#scheduled) this.#flush();
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0 && this.#inflight < RESP_WRITE_BATCHES_INFLIGHT_MAX) {
      this.#propose(this.#take());
    }
  }

  /**
   * The next entry's requests: one that must go alone, or a run of batchable ones with no
   * key written twice (requests of a batch share its revision; a key has one change there).
   */
  #take(): Waiting[] {
    const q = this.#queue;
    if (q[0].bytes < 0) return q.splice(0, 1);
    let n = 0, bytes = 0;
    const keys = new Set<number>();
    while (n < q.length && n < RESP_WRITE_BATCH_REQUESTS_MAX && q[n].bytes >= 0) {
      if (n > 0 && bytes + q[n].bytes > RESP_WRITE_BATCH_BYTES_MAX) break;
      const mine = q[n].keys;
      const repeats = mine.length > 1 && new Set(mine).size !== mine.length; // no Set for one key
      if (repeats || seenAny(keys, mine)) {
        if (n > 0) break;
        return q.splice(0, 1); // its own keys repeat (MSET a 1 a 2): alone
      }
      for (const k of mine) keys.add(k);
      bytes += q[n].bytes;
      n++;
    }
    return q.splice(0, n);
  }

  #propose(unit: Waiting[]): void {
    if (unit.length === 1) {
      const [one] = unit;
      this.#proposeAlone(one.request).then(one.resolve, one.reject);
      return;
    }
    this.#inflight++;
    this.counts.batches++;
    this.counts.batched += unit.length;
    const requests = unit.map((w) => w.request);
    this.service.execute({ body: { case: "redisBatch", value: { requests } } }).then(
      (o) => (this.#settled(), answer(unit, o)),
      (e) => (this.#settled(), unit.forEach((w) => w.reject(e))),
    );
  }
}

function seenAny(seen: ReadonlySet<number>, keys: readonly number[]): boolean {
  for (let i = 0; i < keys.length; i++) if (seen.has(keys[i])) return true;
  return false;
}

/** Hands each request its own outcome from the batch's. */
function answer(unit: readonly Waiting[], o: CommandOutcome): void {
  const outcomes = o.case === "redisBatch" ? o.value.outcomes : [];
  unit.forEach((w, i) => {
    const mine = outcomes[i];
    if (mine === undefined) {
      const why = `a Redis batch of ${unit.length} answered with ${o.case}`;
      return w.reject(new ServiceError(ErrorCode.UNAVAILABLE, why));
    }
    if (mine.error !== undefined) return w.reject(serviceErrorOf(mine.error));
    w.resolve(mine.body);
  });
}

const batchers = new WeakMap<KvService, RespWriteBatcher>();

/** The one batcher of a node's service, shared by all its RESP connections. */
export function writeBatcherOf(service: KvService, afterIo?: AfterIo): RespWriteBatcher {
  let b = batchers.get(service);
  if (b === undefined) batchers.set(service, b = new RespWriteBatcher(service, afterIo));
  return b;
}
