/**
 * Open table readers by file number. A reader stays open while its file is
 * live; the single garbage-collection step closes it when the file is
 * deleted (so no reader is closed under a running scan). The number of live
 * tables is bounded by the data size over the target file size.
 */
import type { FileSystem } from "../../platform/types.ts";
import { CorruptionError, NotFoundError } from "../../util/errors.ts";
import type { BlockCache } from "./block_cache.ts";
import { TableReader } from "../sstable/table_reader.ts";
import { join, tableName } from "../version/file_names.ts";

export class TableCache {
  readonly #readers = new Map<number, TableReader>();

  constructor(readonly fs: FileSystem, readonly dir: string, readonly blocks: BlockCache) {}

  get(number: number, size: number): TableReader {
    const r = this.#readers.get(number);
    if (r !== undefined) return r;
    const name = tableName(number);
    let file;
    try {
      file = this.fs.open(join(this.dir, name), { readOnly: true });
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new CorruptionError(name, 0, "table named by the manifest is missing");
      }
      throw err;
    }
    try {
      const reader = new TableReader(file, name, size, this.blocks);
      this.#readers.set(number, reader);
      return reader;
    } catch (err) {
      file.close();
      throw err;
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
