/**
 * The answers of one apply pass, given together (raft/multi/apply_pass.ts). A node holding
 * many regions applies a round's entries region by region, and each region answered its own
 * writes and reads as it applied: between two regions' applies the responses of the first
 * were flushed, so a pass over many regions wrote each connection's socket once per region.
 * Within a pass the answers wait here, and go out at its end in the order they were given —
 * each connection's responses of the pass then leave in one write (kv_port.ts coalesces the
 * responses of one turn). Outside a pass (a merge target's held entries retried from a timer,
 * an apply the driver did not start) an answer is given at once.
 *
 * Only when an answer is given changes: every answer still follows its own apply, and what a
 * write's answer says was decided by that apply.
 */
import type { ApplyPassBracket } from "../../raft/multi/apply_pass.ts";
import type { Entry } from "../../raft/core/messages.ts";
import type { Proposals } from "./proposals.ts";
import type { ReadBarrier } from "./read_barrier.ts";

export class PassAnswers implements ApplyPassBracket {
  #open = 0;
  #waiting: (() => void)[] = [];
  /** Passes ended with answers waiting, and the answers they gave (tests, profiling). */
  readonly counts = { passes: 0, answers: 0 };

  begin(): void {
    this.#open++;
  }

  end(): void {
    this.#open = Math.max(0, this.#open - 1);
    if (this.#open > 0 || this.#waiting.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    this.counts.passes++;
    this.counts.answers += waiting.length;
    let failed: { readonly err: unknown } | undefined;
    for (const answer of waiting) {
      try {
        answer();
      } catch (err) {
        failed ??= { err }; // every other answer is still given
      }
    }
    if (failed !== undefined) throw failed.err;
  }

  /** Gives `answer` now outside a pass, else at the pass's end. */
  give(answer: () => void): void {
    if (this.#open === 0) answer();
    else this.#waiting.push(answer);
  }
}

/** What a region answers once its entries applied: the writes proposed here, the reads waiting. */
export interface Answering {
  readonly proposals: Pick<Proposals, "applied">;
  readonly reads: Pick<ReadBarrier, "applied">;
}

/**
 * Answers, at the pass's end, the proposals of `entries` up to `applied` (a merge's target
 * holds the rest back: answered when they apply) with their `outcomes`, then the reads.
 */
export function answerApplied(
  answers: PassAnswers,
  r: Answering,
  entries: readonly Entry[],
  outcomes: ReadonlyMap<number, Uint8Array>,
  applied = Infinity,
): void {
  answers.give(() => {
    for (const e of entries) {
      if (e.index <= applied) r.proposals.applied(e.index, e.term, outcomes.get(e.index));
    }
    r.reads.applied();
  });
}
