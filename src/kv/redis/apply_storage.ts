/**
 * RedisStorage inside the state machine's apply step: reads see the engine
 * plus every earlier write of the apply pass (WriteSet), writes join the pass's
 * batch, and database 0's strings go through the RevisionWriter, so they get
 * revisions, history and watch events like any key of the coordination API.
 */
import type { KeyState } from "../key_state.ts";
import type { RevisionWriter } from "../revision_writer.ts";
import type { Generation } from "./keys.ts";
import type { RegionKeys } from "../region_keys.ts";
import { type RedisEvent, type RedisStorage, seededRandom } from "./storage.ts";

/** What one request may write (apply_request.ts). */
export interface WriteBudget {
  readonly ops: number;
  readonly bytes: number;
}

export class ApplyStorage implements RedisStorage {
  readonly writable = true;
  readonly events: RedisEvent[] = [];
  /** Net keys created outside the revisioned keyspace, by database. */
  readonly counts = new Map<number, number>();
  #sub = 0;
  /** Made at the first draw: most requests (every SET) never draw. */
  #random: (() => number) | undefined;

  /** `baseCount`: a database's key count before this command. */
  constructor(
    readonly w: RevisionWriter,
    readonly baseCount: (db: number) => number,
    readonly budget: WriteBudget,
    /** Keys outside the revisioned keyspace before this command, when known. */
    readonly typedBase?: (db: number) => number,
    /**
     * The write set's size and bytes before this command: the budget counts what the command
     * adds (0 for a staged set of its own; a lone SET writes into the pass's, apply_direct.ts).
     */
    readonly sizeBase = 0,
    readonly bytesBase = 0,
  ) {}

  /** The request's PRNG, seeded from its revision (the same draws on every replica). */
  random(): number {
    this.#random ??= seededRandom(this.w.revision);
    return this.#random();
  }

  get now(): number {
    return this.w.now;
  }

  get revision(): number {
    return this.w.revision;
  }

  get region(): RegionKeys {
    return this.w.ws.region;
  }

  get(engineKey: Uint8Array): Uint8Array | undefined {
    return this.w.ws.get(engineKey);
  }

  scan(start: Uint8Array, end: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    return this.w.ws.scan(start, end);
  }

  put(engineKey: Uint8Array, value: Uint8Array): void {
    this.w.ws.put(engineKey, value);
  }

  delete(engineKey: Uint8Array): void {
    this.w.ws.delete(engineKey);
  }

  stringOf0(key: Uint8Array): KeyState | undefined {
    return this.w.stored(key);
  }

  putString0(key: Uint8Array, value: Uint8Array, expireAtMs: number, keepLease = false): void {
    const current = this.w.current(key);
    this.w.put(key, value, keepLease ? current?.lease ?? 0 : 0, current, expireAtMs);
  }

  deleteString0(key: Uint8Array): void {
    this.w.delete(key, this.w.stored(key));
  }

  newGeneration(): Generation {
    return { revision: this.w.revision, sub: this.#sub++ };
  }

  mayHaveTyped(db: number): boolean {
    return this.typedBase === undefined || this.typedBase(db) + (this.counts.get(db) ?? 0) > 0;
  }

  keyCount(db: number): number {
    return this.baseCount(db) + (this.counts.get(db) ?? 0) + (db === 0 ? this.w.ws.keysDelta : 0);
  }

  countKey(db: number, delta: number): void {
    this.counts.set(db, (this.counts.get(db) ?? 0) + delta);
  }

  roomFor(ops: number, bytes: number): boolean {
    const ws = this.w.ws, b = this.budget;
    return ws.size - this.sizeBase + ops <= b.ops && ws.bytes - this.bytesBase + bytes <= b.bytes;
  }

  overBudget(): boolean {
    const ws = this.w.ws, b = this.budget;
    return ws.size - this.sizeBase > b.ops || ws.bytes - this.bytesBase > b.bytes;
  }

  emit(event: RedisEvent): void {
    this.events.push(event);
  }
}
