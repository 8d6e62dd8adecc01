/**
 * The multi-region driver's inbox (driver.ts): batches from peer nodes held
 * between rounds, bounded by count. Between rounds every message is stepped;
 * while a round's save runs, only the acknowledgements a leader region may
 * take mid-save are (round.ts, acks_while_saving.ts), the rest stay queued
 * in arrival order.
 */
import { type Message, MessageType } from "../core/messages.ts";
import type { RegionReplica } from "./region_replica.ts";
import type { NodeBatch, RegionMessage } from "./transport.ts";

export type StepRegion = (region: number, message: Message) => void;

export class RegionInbox {
  #batches: NodeBatch[] = [];

  constructor(readonly max: number) {}

  get full(): boolean {
    return this.#batches.length >= this.max;
  }

  push(batch: NodeBatch): void {
    this.#batches.push(batch);
  }

  /** Takes every queued batch. */
  take(): NodeBatch[] {
    const out = this.#batches;
    this.#batches = [];
    return out;
  }

  /**
   * Steps the acknowledgements of the current term addressed to the leader
   * regions in `leaders`; returns the regions they were stepped into.
   */
  stepAcks(
    leaders: ReadonlySet<number>,
    region: (id: number) => RegionReplica | undefined,
    step: StepRegion,
  ): Set<number> {
    const stepped = new Set<number>();
    const kept: NodeBatch[] = [];
    for (const b of this.#batches) {
      const rest: RegionMessage[] = [];
      for (const rm of b.messages) {
        const rn = leaders.has(rm.region) ? region(rm.region)?.rawNode : undefined;
        if (rn !== undefined && rn.isLeader && rm.message.term === rn.term && isAck(rm.message)) {
          step(rm.region, rm.message);
          stepped.add(rm.region);
        } else rest.push(rm);
      }
      if (rest.length === b.messages.length) kept.push(b);
      else if (rest.length > 0 || b.beat !== undefined) kept.push({ ...b, messages: rest });
    }
    this.#batches = kept;
    return stepped;
  }
}

function isAck(m: Message): boolean {
  return m.type === MessageType.AppResp || m.type === MessageType.HeartbeatResp;
}
