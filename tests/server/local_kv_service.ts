/**
 * A KvService without Raft: commands apply straight to a KvStateMachine, one
 * log index each. Lets the ports be tested against real state-machine
 * behaviour before and apart from replication.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { ClientResponseSchema, type WriteResponse } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../../src/kv/command_codec.ts";
import type { KvScanPage, KvScanRequest } from "../../src/kv/kv_scan.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import type { RedisEvent } from "../../src/kv/redis/storage.ts";
import { serviceErrorOf } from "../../src/server/node/proposals.ts";
import type { NodeStatus } from "../../src/server/node/status_types.ts";
import type { CommandOutcome, KeyRead, KvService } from "../../src/server/kv_service.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";

export class LocalKvService implements KvService {
  /** Writes apply one at a time, in call order, like entries of a log. */
  #tail: Promise<unknown> = Promise.resolve();
  #nextIndex: number;
  /** Writes not yet applied (readStateNow answers only when there are none). */
  #pending = 0;
  /**
   * Offer `readStateNow`, as a node's service does (the RESP port then answers a run of GETs
   * in the turn it reads them); off by default.
   */
  readsNow = false;
  /** Gets what Redis commands published after each apply, as NodeService.onRedisEvents. */
  onRedisEvents: ((events: readonly RedisEvent[]) => void) | undefined;

  private constructor(readonly kv: KvStateMachine, readonly db: Db) {
    this.#nextIndex = kv.appliedIndex + 1;
  }

  static async open(): Promise<LocalKvService> {
    const world = createSimWorld(1);
    world.fs.mkdir("kv");
    const db = await Db.open(world.fs, "kv", { wal: false });
    return new LocalKvService(await KvStateMachine.open(db), db);
  }

  async write(command: CommandInit): Promise<WriteResponse> {
    const outcome = await this.execute(command);
    if (outcome.case !== "write") throw new Error("not a write outcome");
    return outcome.value;
  }

  execute(command: CommandInit): Promise<CommandOutcome> {
    const index = this.#nextIndex++;
    this.#pending++;
    const done = this.#tail.then(() => this.#apply(index, command)).finally(() => this.#pending--);
    this.#tail = done.catch(() => {});
    return done;
  }

  async #apply(index: number, command: CommandInit): Promise<CommandOutcome> {
    const outcomes = await this.kv.apply([{ index, data: encodeCommand(command) }]);
    this.kv.drainEvents();
    const published = this.kv.drainRedisEvents();
    if (published.length > 0) this.onRedisEvents?.(published);
    const bytes = outcomes.get(index);
    if (bytes === undefined) throw new Error("no outcome");
    const r = fromBinary(ClientResponseSchema, bytes);
    if (r.error) throw serviceErrorOf(r.error);
    return r.body;
  }

  async get(key: Uint8Array, _c?: unknown, revision = 0): Promise<KeyRead> {
    if (revision === 0) return { state: this.kv.get(key), revision: this.kv.revision };
    return { state: await this.kv.getAt(key, revision), revision };
  }

  scan(request: KvScanRequest): Promise<KvScanPage> {
    return this.kv.scan(request);
  }

  readState<T>(_c: unknown, read: (kv: KvStateMachine) => T): Promise<T> {
    return this.#tail.then(() => read(this.kv));
  }

  readStateNow<T>(_c: unknown, read: (kv: KvStateMachine) => T): { value: T } | undefined {
    return this.readsNow && this.#pending === 0 ? { value: read(this.kv) } : undefined;
  }

  count(): Promise<number> {
    return Promise.resolve(this.kv.keyCount);
  }

  status(): NodeStatus {
    return {
      id: 1,
      role: "leader",
      term: 1,
      leader: 1,
      commitIndex: this.kv.appliedIndex,
      appliedIndex: this.kv.appliedIndex,
      members: [{ id: 1, address: "127.0.0.1:0", learner: false }],
    };
  }
}
