/**
 * The placement group's state machine on the node's driver (region 0): a
 * PlacementState (src/placement/) whose image is written to a file at every
 * compaction of the group's log and every snapshot it installs, so the log
 * can be compacted and a restart finds the state the log no longer holds.
 *
 * The shared Raft log keeps snapshot markers only (the KV regions' images are
 * the engine); the placement state lives in memory, so its image needs a home
 * of its own: `placement/snap-<index>.snap` in the data directory, written with
 * the crash-safe recipe of snapshot_file.ts (temporary file, fsync, rename,
 * directory fsync). The newest file is loaded at open; the log then replays
 * the entries after the marker, and PlacementState skips those its image
 * already covers. A file is written before the log is compacted past it (the
 * driver calls `flush` first) and before an installed snapshot's marker is
 * saved (`restore` runs first), so the file is never behind the log's marker.
 */
import type { Entry, Snapshot } from "../../raft/core/messages.ts";
import { EMPTY_CONF_STATE } from "../../raft/core/messages.ts";
import type { RegionStateMachine } from "../../raft/multi/region_replica.ts";
import { readSnapshotFile, snapshotFileName, writeSnapshotFile } from "../../raft/snapshot_file.ts";
import type { FileSystem } from "../../platform/types.ts";
import type { PlacementState } from "../../placement/placement_state.ts";

const FILE = /^snap-(\d{16})\.snap$/;

export class PlacementStore implements RegionStateMachine {
  readonly dir: string;
  /** Images written (compactions and installed snapshots). */
  saves = 0;
  /** Where region 0's ReadIndex answers go (leadership_check.ts). */
  readStates: ((states: readonly { readonly context: Uint8Array }[]) => void) | undefined;
  /** Called after entries are applied or an image restored (a rejoined replica's catch-up). */
  onApplied: () => void = () => {};
  /** Called after an image is restored, with its index (region 0's configuration came with it). */
  onRestored: (index: number) => void = () => {};

  constructor(readonly fs: FileSystem, dataDir: string, readonly state: PlacementState) {
    this.dir = `${dataDir}/placement`;
  }

  /** Loads the newest image file, if any (at open, before the driver replays the log). */
  load(): void {
    this.fs.mkdir(this.dir);
    const newest = this.#indexes().at(-1);
    if (newest !== undefined) this.state.restore(readSnapshotFile(this.fs, this.dir, newest));
  }

  apply(entries: readonly Entry[]): void {
    this.state.apply(entries);
    this.onApplied();
  }

  async restore(snapshot: Snapshot): Promise<void> {
    this.state.restore(snapshot); // throws on a bad image, before anything is written
    await this.#save();
    this.onRestored(snapshot.metadata.index);
    this.onApplied();
  }

  /** The driver compacts the group's log: its state is made durable first. */
  flush(): Promise<void> {
    return this.#save();
  }

  image(): Uint8Array {
    return this.state.image();
  }

  onReadStates(states: readonly { readonly context: Uint8Array }[]): void {
    this.readStates?.(states);
  }

  async #save(): Promise<void> {
    const index = this.state.appliedIndex;
    const data = this.state.image(); // taken now: what is applied when the flush began
    const metadata = { index, term: 0, confState: EMPTY_CONF_STATE };
    await writeSnapshotFile(this.fs, this.dir, { metadata, data });
    this.saves++;
    for (const old of this.#indexes()) {
      if (old < index) this.fs.remove(`${this.dir}/${snapshotFileName(old)}`);
    }
  }

  #indexes(): number[] {
    const out: number[] = [];
    for (const name of this.fs.list(this.dir)) {
      const m = FILE.exec(name);
      if (m !== null) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }
}
