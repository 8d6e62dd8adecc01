/**
 * Waiting inside a command (WAIT, DEBUG SLEEP) on the port's clock, in short
 * steps so that a closed connection stops the wait within one step.
 */
import type { RespContext } from "./resp_command.ts";

/** The longest single timer: a closed connection is noticed this soon. */
const STEP_MS = 100;

function sleep(ctx: RespContext, ms: number): Promise<void> {
  return new Promise((resolve) => ctx.node.clock.setTimeout(resolve, ms));
}

/**
 * Waits until `done()` or `ms` have passed (`ms` Infinity: no deadline) or the
 * connection closed, checking `done` every `pollMs`.
 */
export async function pauseUntil(
  ctx: RespContext,
  ms: number,
  done: () => boolean,
  pollMs = STEP_MS,
): Promise<void> {
  const deadline = ctx.node.clock.nowMs() + ms;
  while (!done() && !ctx.conn.closed) {
    const left = deadline - ctx.node.clock.nowMs();
    if (left <= 0) return;
    await sleep(ctx, Math.min(left, pollMs, STEP_MS));
  }
}
