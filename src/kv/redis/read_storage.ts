/**
 * RedisStorage for a read on the node's local engine, after the read barrier
 * its consistency asks for. Writes are refused: only commands the table marks
 * read-only run here.
 */
import { dataKey } from "../keyspace.ts";
import { decodeCurrent } from "../key_record.ts";
import type { KeyState } from "../key_state.ts";
import type { Generation } from "./keys.ts";
import type { RegionKeys } from "../region_keys.ts";
import { readOnly, type RedisStorage } from "./storage.ts";

export interface EngineView {
  get(key: Uint8Array): Uint8Array | undefined;
  scanSync(o: { start: Uint8Array; end: Uint8Array }): Iterable<[Uint8Array, Uint8Array]>;
}

export class ReadStorage implements RedisStorage {
  readonly writable = false;
  readonly revision = 0;

  constructor(
    readonly engine: EngineView,
    readonly now: number,
    readonly keyCount: (db: number) => number,
    /** Keys outside the revisioned keyspace, when known. */
    readonly typedKeys?: (db: number) => number,
  ) {}

  /** Only writes build region-local keys: a read never does. */
  get region(): RegionKeys {
    return readOnly();
  }

  mayHaveTyped(db: number): boolean {
    return this.typedKeys === undefined || this.typedKeys(db) > 0;
  }

  get(engineKey: Uint8Array): Uint8Array | undefined {
    return this.engine.get(engineKey);
  }

  scan(start: Uint8Array, end: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    return this.engine.scanSync({ start, end });
  }

  stringOf0(key: Uint8Array): KeyState | undefined {
    const raw = this.engine.get(dataKey(key));
    return raw === undefined ? undefined : decodeCurrent(key, raw);
  }

  overBudget(): boolean {
    return false;
  }

  roomFor(): boolean {
    return true;
  }

  random(): number {
    return Math.random();
  }

  put(): void {
    readOnly();
  }
  delete(): void {
    readOnly();
  }
  putString0(): void {
    readOnly();
  }
  deleteString0(): void {
    readOnly();
  }
  newGeneration(): Generation {
    return readOnly();
  }
  countKey(): void {
    readOnly();
  }
  emit(): void {
    readOnly();
  }
}
