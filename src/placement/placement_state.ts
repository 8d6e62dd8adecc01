/**
 * The replicated state machine of the placement group (region 0, docs/decisions/0014-regions.md
 * §7; docs/regions.md#placement-service). A RaftNode drives it as its `StateMachine`: `apply`
 * decodes each committed command and applies it in log order — node heartbeats and region
 * reports into a ClusterView, drains and removals, the one counter of region and replica ids, the
 * timestamp oracle's persisted bound. Apply is deterministic: it reads no clock (the group's "now"
 * is the highest proposer stamp applied), and bad bytes or invalid commands are refused with an
 * outcome, changing nothing but the applied index.
 *
 * Snapshots are a full image (`image()`/`restore()`), not a marker over a separate store: the
 * state is small — about 100 bytes plus its two boundary keys per region, under 30 MB at the
 * 100,000-region cap (docs/limits.md) — and lives only in memory, so encoding it whole is cheap,
 * needs no engine, and makes the snapshot self-contained for a follower that falls behind.
 *
 * What a proposer waits for — the allocated ids, the persisted bound, or why a command was
 * refused — is kept per applied index for the most recent PLACEMENT_OUTCOMES_KEPT commands
 * (`outcome(index)`, or the `onOutcome` callback as each applies). Outcomes are not replicated
 * state: they are not in the image, and a replica restored from a snapshot has none for the
 * entries before it.
 */
import { type Entry, EntryType, type Snapshot } from "../raft/core/messages.ts";
import { PLACEMENT_OUTCOMES_KEPT } from "../limits_ops.ts";
import { DecodeError } from "../util/coding.ts";
import { InvalidArgumentError } from "../util/errors.ts";
import { ClusterView } from "./cluster_view.ts";
import { decodeCommand } from "./placement_commands.ts";
import { applyCommand, type PlacementCounters, type PlacementOutcome } from "./placement_apply.ts";
import { decodeImage, encodeImage, type PlacementImage } from "./placement_image.ts";
import { checkImage, loadImage } from "./placement_load.ts";

export type { PlacementOutcome } from "./placement_apply.ts";

/** An outcome with the entry it came from: a proposer checks the term is its proposal's. */
export interface AppliedOutcome {
  readonly index: number;
  readonly term: number;
  readonly outcome: PlacementOutcome;
}

export interface PlacementStateOptions {
  /** A node silent this long (in applied time) is down (`--replace-timeout`). */
  readonly replaceTimeoutMs: number;
  /** Called with each command's outcome as it applies (in log order). */
  readonly onOutcome?: (o: AppliedOutcome) => void;
  /** Region 1's configuration is the cluster's membership (ClusterView `isMember`). */
  readonly membersInRegion1?: boolean;
}

export class PlacementState {
  readonly view: ClusterView;
  #appliedIndex = 0;
  #appliedTerm = 0;
  #counters: PlacementCounters = emptyCounters();
  readonly #outcomes = new Map<number, AppliedOutcome>();

  constructor(readonly options: PlacementStateOptions) {
    this.view = new ClusterView(options.replaceTimeoutMs, options.membersInRegion1);
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** The group's clock: the highest proposer stamp applied (Unix ms); 0 before any command. */
  get appliedMs(): number {
    return this.#counters.appliedMs;
  }

  get bootstrapped(): boolean {
    return this.#counters.bootstrapped;
  }

  /** The next id `allocate-ids` hands out. */
  get nextId(): number {
    return this.#counters.nextId;
  }

  /** The timestamp oracle's persisted bound: a new oracle starts here (src/txn/timestamp.ts). */
  get tsoBound(): number {
    return this.#counters.tsoBound;
  }

  /** Removed node ids (their heartbeats are refused), oldest first. */
  get removedNodes(): readonly number[] {
    return this.#counters.removed;
  }

  /** The outcome of the command at `index`, while it is among the most recent kept. */
  outcome(index: number): AppliedOutcome | undefined {
    return this.#outcomes.get(index);
  }

  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.#appliedIndex) continue; // covered by a restored image
      if (e.type === EntryType.Normal && e.data.length > 0) {
        this.#record({ index: e.index, term: e.term, outcome: this.#applyBytes(e.data) });
      }
      this.#appliedIndex = e.index;
      this.#appliedTerm = e.term;
    }
  }

  #applyBytes(data: Uint8Array): PlacementOutcome {
    let command;
    try {
      command = decodeCommand(data);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof InvalidArgumentError) {
        return { kind: "refused", reason: `bad placement command: ${err.message}` };
      }
      throw err;
    }
    return applyCommand(this.view, this.#counters, command);
  }

  #record(o: AppliedOutcome): void {
    this.#outcomes.set(o.index, o);
    if (this.#outcomes.size > PLACEMENT_OUTCOMES_KEPT) {
      const oldest = this.#outcomes.keys().next();
      if (oldest.done !== true) this.#outcomes.delete(oldest.value);
    }
    this.options.onOutcome?.(o);
  }

  /** The whole state as of the last applied entry (canonical: equal states, equal bytes). */
  image(): Uint8Array {
    const c = this.#counters;
    const regions = this.view.map.all().map((d) => {
      const info = this.view.region(d.id);
      if (info === undefined) throw new Error(`placement view lost region ${d.id}`);
      return info;
    });
    return encodeImage({
      appliedIndex: this.#appliedIndex,
      appliedTerm: this.#appliedTerm,
      appliedMs: c.appliedMs,
      bootstrapped: c.bootstrapped,
      nextId: c.nextId,
      tsoBound: c.tsoBound,
      nodes: this.view.nodes(),
      removed: c.removed,
      regions,
    });
  }

  /**
   * Replaces the state with a snapshot's image (empty data: the empty state at the snapshot's
   * index, as a new group's bootstrap snapshot has). The image is decoded and checked in full
   * before anything changes: a bad one throws DecodeError or InvalidArgumentError and leaves
   * the state as it was.
   */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    const img: PlacementImage = snapshot.data.length === 0
      ? { ...emptyImage(), appliedIndex: index, appliedTerm: term }
      : decodeImage(snapshot.data);
    // An image taken at the snapshot's index (or past it: entries it covers are skipped).
    if (img.appliedIndex < index) {
      throw new DecodeError(`image at index ${img.appliedIndex} in a snapshot at ${index}`, 0);
    }
    checkImage(img); // throws before anything changes
    this.#counters = loadImage(this.view, img);
    this.#appliedIndex = img.appliedIndex;
    this.#appliedTerm = img.appliedTerm;
    this.#outcomes.clear();
  }
}

function emptyCounters(): PlacementCounters {
  return { appliedMs: 0, bootstrapped: false, nextId: 1, tsoBound: 0, removed: [] };
}

function emptyImage(): PlacementImage {
  return {
    ...emptyCounters(),
    appliedIndex: 0,
    appliedTerm: 0,
    nodes: [],
    regions: [],
  };
}
