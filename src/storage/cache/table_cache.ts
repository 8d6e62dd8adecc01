/**
 * Open table readers by file number, at most `maxOpen` at once (CLOCK order).
 * Evicting a reader only closes its file descriptor: a scan still holding it
 * reopens the file on its next block read (the file exists while its version
 * is pinned). The garbage-collection step closes a reader for good when its
 * file is deleted.
 */
import type { File, FileSystem } from "../../platform/types.ts";
import { CorruptionError, NotFoundError } from "../../util/errors.ts";
import type { BlockCache } from "./block_cache.ts";
import { TableReader } from "../sstable/table_reader.ts";
import { join, tableName } from "../version/file_names.ts";

export class TableCache {
  readonly #readers = new Map<number, TableReader>();

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly blocks: BlockCache,
    readonly maxOpen: number,
  ) {}

  #open(name: string): File {
    try {
      return this.fs.open(join(this.dir, name), { readOnly: true });
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new CorruptionError(name, 0, "table named by the manifest is missing");
      }
      throw err;
    }
  }

  get(number: number, size: number): TableReader {
    const r = this.#readers.get(number);
    if (r !== undefined) {
      r.visited = true;
      return r;
    }
    const name = tableName(number);
    const file = this.#open(name);
    let reader: TableReader;
    try {
      reader = new TableReader(file, name, size, this.blocks, () => this.#open(name));
    } catch (err) {
      file.close();
      throw err;
    }
    this.#readers.set(number, reader);
    while (this.#readers.size > this.maxOpen) this.#evictOne();
    return reader;
  }

  #evictOne(): void {
    for (const [n, r] of this.#readers) {
      this.#readers.delete(n);
      if (r.visited) {
        r.visited = false; // second chance
        this.#readers.set(n, r);
        continue;
      }
      r.closeFile();
      return;
    }
  }

  evict(number: number): void {
    const r = this.#readers.get(number);
    if (r === undefined) return;
    this.#readers.delete(number);
    r.close();
  }

  get openCount(): number {
    return this.#readers.size;
  }

  closeAll(): void {
    for (const n of [...this.#readers.keys()]) this.evict(n);
  }
}
