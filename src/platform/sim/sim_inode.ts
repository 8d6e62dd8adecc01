/**
 * One simulated file's bytes with its un-synced changes kept as an undo log
 * (offset, old bytes, old size), so a sync is O(1) and a crash costs only the
 * un-synced bytes (sim_file_system.ts).
 */
/** One un-synced change, enough to undo it and to replay a prefix of it. */
interface PendingWrite {
  readonly offset: number;
  readonly data: Uint8Array; // bytes written (empty for a truncate)
  readonly oldBytes: Uint8Array; // bytes overwritten within the old size
  readonly oldSize: number;
}

export class Inode {
  bytes = new Uint8Array(64);
  size = 0;
  pending: PendingWrite[] = [];

  ensure(cap: number): void {
    if (cap <= this.bytes.length) return;
    let n = this.bytes.length * 2;
    while (n < cap) n *= 2;
    const next = new Uint8Array(n);
    next.set(this.bytes.subarray(0, this.size));
    this.bytes = next;
  }

  /** Applies a write or truncate without logging it. */
  apply(offset: number, data: Uint8Array, newSize: number): void {
    this.ensure(Math.max(newSize, offset + data.length));
    if (newSize > this.size) this.bytes.fill(0, this.size, newSize);
    this.bytes.set(data, offset);
    this.size = newSize;
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length === 0) return; // a zero-length entry in the log means "truncate"
    const end = Math.min(this.size, offset + data.length);
    const oldBytes = offset < end ? this.bytes.slice(offset, end) : new Uint8Array(0);
    this.pending.push({ offset, data: data.slice(), oldBytes, oldSize: this.size });
    this.apply(offset, data, Math.max(this.size, offset + data.length));
  }

  truncate(size: number): void {
    const oldBytes = size < this.size ? this.bytes.slice(size, this.size) : new Uint8Array(0);
    this.pending.push({ offset: size, data: new Uint8Array(0), oldBytes, oldSize: this.size });
    this.apply(size, new Uint8Array(0), size);
  }

  /** Reverts every un-synced change, then re-applies the first `keep` (the last torn). */
  crash(keep: number, tornBytes: number): void {
    const log = this.pending;
    for (let i = log.length - 1; i >= 0; i--) {
      const w = log[i];
      this.bytes.set(w.oldBytes, w.offset);
      this.size = w.oldSize;
    }
    for (let i = 0; i < keep && i < log.length; i++) {
      const w = log[i];
      const data = i === keep - 1 ? w.data.subarray(0, tornBytes) : w.data;
      const newSize = w.data.length === 0 ? w.offset : Math.max(w.oldSize, w.offset + data.length);
      this.apply(w.offset, data, newSize);
    }
    this.pending = [];
  }
}
