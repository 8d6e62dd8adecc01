/**
 * Reads refused while a split settles on this node (node_reads.ts `unsettled`: a split applied
 * here whose child is not hosted yet, or a region change under the read's barrier) are tried
 * again for a moment before the refusal reaches the client. The child is hosted within a driver
 * round or two, and a Redis client takes `-TRYAGAIN` as an error: the 100 MiB e2e's `GET` right
 * after a `SET` that split the region failed so. A read changes nothing, so running it again is
 * safe; it recomputes its regions each time.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock } from "../../platform/types.ts";
import { ServiceError } from "../kv_service.ts";

/** How long a read refused while a split settles is tried again (docs/limits.md). */
export const READ_SETTLE_WAIT_MS = 2_000;
/** How often it is tried meanwhile. */
const SETTLE_POLL_MS = 5;

/** A read refused while a split settles here: retryable, and retried by `retrySettling`. */
class SettlingError extends ServiceError {
  constructor() {
    super(ErrorCode.UNAVAILABLE, "a region split while the read waited; retry");
  }
}

export function settling(): ServiceError {
  return new SettlingError();
}

/** Runs `read` again while a split settling here refuses it, at most READ_SETTLE_WAIT_MS. */
export async function retrySettling<T>(clock: Clock, read: () => Promise<T>): Promise<T> {
  const deadline = clock.nowMs() + READ_SETTLE_WAIT_MS;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof SettlingError) || clock.nowMs() >= deadline) throw err;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}
