/**
 * The simulated clients: protobuf clients (the real client library) and RESP
 * clients (resp_client.ts), each a loop of random operations with random
 * pauses, on its own simulated host. They run until `stop()`; every
 * operation ends (the client library's deadline, the RESP client's timeout),
 * so `stop()` resolves once the last one has been recorded.
 */
import { simClient } from "./sim_client.ts";
import type { Clock, Net } from "../platform/types.ts";
import type { Prng } from "../util/prng.ts";
import type { History } from "./history.ts";
import { runProtoOp } from "./proto_ops.ts";
import { RespClient } from "./resp_client.ts";
import { runRespOp } from "./resp_ops.ts";
import { WorkloadKeys } from "./workload_keys.ts";
import { Coordination } from "./coordination.ts";
import { TxnBank } from "./bank_txn_ops.ts";

export interface WorkloadOptions {
  readonly protoClients: number;
  readonly respClients: number;
  /** Clients watching prefixes (watchers.ts). */
  readonly watchers: number;
  /** Clients holding leases (lease_holders.ts). */
  readonly leaseHolders: number;
  /** Longest pause between two operations of one client (virtual ms). */
  readonly thinkMs: number;
  /** The client library's deadline per operation, retries included. */
  readonly deadlineMs: number;
}

export interface WorkloadEnv {
  readonly clock: Clock;
  readonly prng: Prng;
  readonly history: History;
  /** The network as seen from client host `name`. */
  readonly netOf: (name: string) => Net;
  /** Protobuf addresses of the nodes clients may use. */
  readonly kvEndpoints: () => string[];
  /** RESP addresses of the nodes. */
  readonly respEndpoints: () => string[];
  /** The region holding a key now, in one node's view (reported, never acted on). */
  readonly regionOf?: (key: string) => number | undefined;
}

export class Workload {
  readonly keys = new WorkloadKeys(5, 2);
  #running = false;
  #loops: Promise<void>[] = [];
  #values = 0;
  readonly coordination: Coordination;
  readonly bank: TxnBank;

  constructor(readonly env: WorkloadEnv, readonly o: WorkloadOptions) {
    this.bank = new TxnBank(env.regionOf);
    this.coordination = new Coordination(env, o, this.keys, this.#freshValue);
  }

  start(): void {
    this.#running = true;
    this.coordination.start();
    for (let i = 1; i <= this.o.protoClients; i++) {
      this.#loops.push(this.#protoLoop(`c${i}`, this.env.prng.fork()));
    }
    for (let i = 1; i <= this.o.respClients; i++) {
      this.#loops.push(this.#respLoop(`r${i}`, this.env.prng.fork()));
    }
  }

  /** Stops the operations; watches and held leases go on (coordination.ts). */
  async stop(): Promise<void> {
    this.#running = false;
    this.coordination.stopWorkload();
    await Promise.all(this.#loops);
  }

  #now = (): number => this.env.clock.nowMs();
  #freshValue = (): string => `v${++this.#values}`;

  #pause(prng: Prng): Promise<void> {
    return new Promise((r) => this.env.clock.setTimeout(r, prng.int(this.o.thinkMs + 1)));
  }

  async #protoLoop(name: string, prng: Prng): Promise<void> {
    const api = simClient(this.env, name, prng, this.o.deadlineMs);
    const x = {
      client: name,
      api,
      history: this.env.history,
      keys: this.keys,
      prng,
      now: this.#now,
      wallMs: () => this.env.clock.wallMs(),
      freshValue: this.#freshValue,
      bank: this.bank,
    };
    try {
      while (this.#running) {
        await runProtoOp(x);
        await this.#pause(prng);
      }
    } finally {
      api.close();
    }
  }

  async #respLoop(name: string, prng: Prng): Promise<void> {
    const x = {
      client: name,
      history: this.env.history,
      keys: this.keys,
      prng,
      now: this.#now,
      wallMs: () => this.env.clock.wallMs(),
      freshValue: this.#freshValue,
      sleep: (ms: number) => new Promise<void>((r) => this.env.clock.setTimeout(r, ms)),
    };
    let conn: RespClient | undefined;
    while (this.#running) {
      if (conn === undefined || conn.closed) {
        const all = this.env.respEndpoints();
        const address = all[prng.int(all.length)];
        conn = await RespClient.connect(this.env.netOf(name), address, this.env.clock, 2000)
          .catch(() => undefined);
        if (conn === undefined) {
          await this.#pause(prng);
          continue;
        }
      }
      if (!await runRespOp(x, conn)) {
        conn.close();
        conn = undefined;
      }
      await this.#pause(prng);
    }
    conn?.close();
  }
}
