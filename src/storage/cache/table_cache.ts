/**
 * Table readers by file number, under two separate bounds (docs/limits.md):
 * - resident readers (each holds its table's index and filter in memory) up to
 *   `maxResidentBytes` of those structures — sized so that every table of a store of
 *   several GB stays resident, and a uniform read never re-reads and re-decodes an index;
 * - open file descriptors up to `maxOpen`. A resident reader whose descriptor was closed
 *   reopens its file on its next block read (one open(2), not a table open).
 * Both evict in CLOCK order. Dropping a reader only closes its descriptor: a scan still
 * holding it reopens the file on its next block read (the file exists while its version
 * is pinned). The garbage-collection step closes a reader for good when its file is deleted.
 */
import type { File, FileSystem } from "../../platform/types.ts";
import { CorruptionError, NotFoundError } from "../../util/errors.ts";
import type { BlockCache } from "./block_cache.ts";
import { TableReader } from "../sstable/table_reader.ts";
import { join, tableName } from "../version/file_names.ts";

export class TableCache {
  /** Resident readers; insertion order is the CLOCK order. */
  readonly #readers = new Map<number, TableReader>();
  /** Readers whose file is open, by file number; insertion order is the CLOCK order. */
  readonly #open = new Map<number, TableReader>();
  #residentBytes = 0;

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly blocks: BlockCache,
    readonly maxOpen: number,
    readonly maxResidentBytes: number = Number.MAX_SAFE_INTEGER,
  ) {}

  #openFile(name: string): File {
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
      r.fileVisited = true;
      return r;
    }
    const name = tableName(number);
    const file = this.#openFile(name);
    let reader: TableReader | undefined = undefined;
    const reopen = (): File => {
      const f = this.#openFile(name);
      // Only a resident reader counts against the descriptor budget; one dropped while a
      // scan held it keeps its file until the scan lets go of it.
      if (reader !== undefined && this.#readers.get(number) === reader) {
        this.#noteOpen(number, reader);
      }
      return f;
    };
    try {
      reader = new TableReader(file, name, size, this.blocks, reopen);
    } catch (err) {
      file.close();
      throw err;
    }
    // In use now: marked so that the CLOCK hand, passing the older readers first, does not
    // take the newest one as its first victim.
    reader.visited = true;
    this.#readers.set(number, reader);
    this.#residentBytes += reader.residentBytes;
    this.#noteOpen(number, reader);
    while (this.#residentBytes > this.maxResidentBytes && this.#readers.size > 1) {
      this.#dropOne();
    }
    return reader;
  }

  /** Whether table `number` is resident (its index and filter in memory). */
  has(number: number): boolean {
    return this.#readers.has(number);
  }

  /** Whether table `number`'s file is open now. */
  isOpen(number: number): boolean {
    return this.#open.has(number);
  }

  #noteOpen(number: number, reader: TableReader): void {
    if (this.#open.get(number) === reader) return;
    reader.fileVisited = true; // in use now (as above)
    this.#open.set(number, reader);
    while (this.#open.size > this.maxOpen) this.#closeOne();
  }

  #closeOne(): void {
    for (const [n, r] of this.#open) {
      this.#open.delete(n);
      if (r.fileVisited) {
        r.fileVisited = false; // second chance
        this.#open.set(n, r);
        continue;
      }
      r.closeFile();
      return;
    }
  }

  #dropOne(): void {
    for (const [n, r] of this.#readers) {
      this.#readers.delete(n);
      if (r.visited) {
        r.visited = false; // second chance
        this.#readers.set(n, r);
        continue;
      }
      this.#residentBytes -= r.residentBytes;
      this.#open.delete(n);
      r.closeFile();
      return;
    }
  }

  evict(number: number): void {
    const r = this.#readers.get(number);
    if (r === undefined) return;
    this.#readers.delete(number);
    this.#open.delete(number);
    this.#residentBytes -= r.residentBytes;
    r.close();
  }

  /** Table files open now (at most maxOpen). */
  get openCount(): number {
    return this.#open.size;
  }

  /** Readers resident now, and the bytes of their indexes and filters. */
  get residentCount(): number {
    return this.#readers.size;
  }

  get residentBytes(): number {
    return this.#residentBytes;
  }

  closeAll(): void {
    for (const n of [...this.#readers.keys()]) this.evict(n);
  }
}
