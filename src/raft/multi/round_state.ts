/**
 * What a driver round (round.ts) carries from before its save to after it: the Readys, what left
 * or was queued for apply before the save, and how the save runs. Kept whole when the save must be
 * retried (disk_retry.ts).
 */
import type { Entry } from "../core/messages.ts";
import type { Ready } from "../core/ready.ts";
import type { RegionReplica } from "./region_replica.ts";

export interface RegionReady {
  readonly r: RegionReplica;
  readonly rd: Ready;
}

export interface ApplyBatch {
  readonly r: RegionReplica;
  readonly entries: readonly Entry[];
  /** Committed by the followers while this leader's save of them runs (apply_ahead.ts). */
  readonly ahead?: boolean;
}

/** A round's Readys and what was done before its save. */
export interface Round {
  readonly work: readonly RegionReady[];
  readonly strict: boolean;
  /** Leader regions whose messages left before the save. */
  readonly sentFirst: ReadonlySet<number>;
  /** Per region, how many committed entries were queued for apply before the save. */
  readonly early: ReadonlyMap<number, number>;
  /** Per leader region, the last entry sent to its followers mid-save (midSaveSent). */
  readonly sentMidSave: Map<number, number>;
  /**
   * No leader sent anything before the save (followers' work, or leaders without other voters):
   * nothing can commit while the fsync runs, and whatever waits on this round (a follower's
   * acknowledgements, a lone leader's commit) waits for the fsync anyway. So the save fsyncs on
   * this thread (File.syncNow), without the hand-off to a worker thread and back, and the
   * applies it would have run beside (`postponed`) are queued once the round's messages have
   * left, not ahead of them. A leader that sent appends saves in the background: its
   * followers' acknowledgements commit mid-save (apply_ahead.ts).
   */
  readonly blocking: boolean;
  postponed: ApplyBatch[] | undefined;
}

/** A pipelined round; its early applies are `postponed` until the pipeline queues them. */
export function pipelinedRound(
  work: readonly RegionReady[],
  sentFirst: ReadonlySet<number>,
  early: ReadonlyMap<number, number>,
  postponed: ApplyBatch[],
): Round {
  const blocking = work.every(({ r, rd }) => !sentFirst.has(r.id) || rd.messages.length === 0);
  return { work, strict: false, sentFirst, early, sentMidSave: new Map(), blocking, postponed };
}

const NONE: ReadonlySet<number> = new Set();
const NO_EARLY: ReadonlyMap<number, number> = new Map();

/** A snapshot's or conf change's round: nothing before the save, which runs in the background. */
export function strictRound(work: readonly RegionReady[]): Round {
  const sentMidSave = new Map<number, number>();
  return {
    work,
    strict: true,
    sentFirst: NONE,
    early: NO_EARLY,
    sentMidSave,
    blocking: false,
    postponed: undefined,
  };
}
