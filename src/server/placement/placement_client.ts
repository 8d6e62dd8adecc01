/**
 * A node's requests to the placement leader when it does not lead region 0
 * itself: a `PlacementRequest` on the target's protobuf client port, over a
 * LeaderForwarder connection (with the cluster token, it introduces itself as
 * a peer). Tried on each target in turn — the leader this node knows, else the
 * placement voters — until one answers; an error answer from the service
 * (a refused heartbeat, an unknown node) is final, a NOT_LEADER or an
 * unreachable node moves on to the next target.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../kv_service.ts";
import { LeaderForwarder, peerHelloOf } from "../node/leader_forwarder.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";
import {
  decodePlacementAnswer,
  encodePlacementRequest,
  type PlacementAnswer,
  type PlacementRequestBody,
} from "./placement_rpc.ts";

export class PlacementClient {
  readonly #forwarder: LeaderForwarder;
  /** Requests sent to another node, and those that failed on every target. */
  readonly counts = { sent: 0, failed: 0 };

  constructor(
    readonly o: ResolvedNodeOptions,
    readonly targets: () => readonly number[],
    readonly addressOf: (id: number) => string | undefined,
  ) {
    this.#forwarder = new LeaderForwarder(o.net, o.clock, peerHelloOf(o));
  }

  /** Sends `b` to the placement leader (`forwarded`: the receiver must not forward it again). */
  async send(
    b: PlacementRequestBody,
    forwarded: boolean,
    adminToken?: string,
  ): Promise<PlacementAnswer> {
    const body = encodePlacementRequest(b, forwarded);
    let last: ServiceError = new ServiceError(ErrorCode.UNAVAILABLE, "no placement leader known");
    for (const id of this.targets()) {
      const address = this.addressOf(id);
      if (address === undefined || address === "") continue;
      this.counts.sent++;
      try {
        return answerOf(
          await this.#forwarder.forwardRequest(
            address,
            { case: "placement", value: { body } },
            this.o.requestTimeoutMs,
            adminToken,
          ),
        );
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        last = err;
        const moveOn = err.code === ErrorCode.NOT_LEADER || err.code === ErrorCode.UNAVAILABLE ||
          err.code === ErrorCode.TIMEOUT;
        if (!moveOn) throw err;
      }
    }
    this.counts.failed++;
    throw new ServiceError(ErrorCode.UNAVAILABLE, `placement leader unreachable: ${last.message}`);
  }

  close(): void {
    this.#forwarder.close();
  }
}

function answerOf(
  r: Awaited<ReturnType<LeaderForwarder["forwardRequest"]>>,
): PlacementAnswer {
  const e = r.error;
  if (e !== undefined) {
    throw new ServiceError(e.code, e.message, Number(e.leaderId), e.leaderAddress);
  }
  if (r.body.case !== "placement") {
    throw new ServiceError(ErrorCode.UNAVAILABLE, `placement request answered ${r.body.case}`);
  }
  const a = decodePlacementAnswer(r.body.value.body);
  if (a.kind === "error") throw new ServiceError(a.code, a.message);
  return a;
}
