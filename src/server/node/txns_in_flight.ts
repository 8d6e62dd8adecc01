/**
 * The transactions across regions a node coordinates at once (region_router.ts): a client's retry
 * of a request still running here joins it instead of racing it (the two would abort each
 * other's prewrites; a retry sent to another node is refused at its primary's commit instead),
 * and every transaction in flight counts against the node's pending bound, as proposals do.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { PROPOSALS_PENDING_MAX } from "../../limits.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";

export class TxnsInFlight {
  readonly #running = new Map<string, Promise<CommandOutcome>>();
  /** Keys of transactions without a client session. */
  #anonymous = 0;

  constructor(readonly max = PROPOSALS_PENDING_MAX) {}

  get size(): number {
    return this.#running.size;
  }

  /** Runs `start` for `session` (`clientId:sequence`, or undefined), or joins its run. */
  run(session: string | undefined, start: () => Promise<CommandOutcome>): Promise<CommandOutcome> {
    const key = session ?? `anonymous:${this.#anonymous++}`;
    const known = this.#running.get(key);
    if (known !== undefined) return known;
    if (this.#running.size >= this.max) {
      const why = `${this.max} transactions across regions pending; retry`;
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, why));
    }
    const started = start().finally(() => this.#running.delete(key));
    this.#running.set(key, started);
    return started;
  }
}
