/**
 * `loop.stall` debug lines (docs/logging.md): a timer every `LOOP_PROBE_MS` notes how late it
 * fired. A late timer means the serving thread was held (a long synchronous step, a garbage
 * collection, the process not scheduled); the line's timestamp lets a profile or the other log
 * lines name the cause. Only with `--log-level debug`: the probe costs a timer turn per tick.
 */
import type { Clock, TimerId } from "../../platform/types.ts";
import type { Logger } from "../log/logger.ts";

/** How often the probe's timer fires. */
export const LOOP_PROBE_MS = 10;
/** A delay at least this long is logged. */
export const LOOP_STALL_LOG_MS = 100;

/** Starts the probe; the returned function stops it. */
export function watchLoopStalls(clock: Clock, logger: Logger): () => void {
  let due = clock.nowMs() + LOOP_PROBE_MS;
  let timer: TimerId;
  const tick = () => {
    const now = clock.nowMs();
    const late = now - due;
    if (late >= LOOP_STALL_LOG_MS) logger.debug("loop.stall", { ms: Math.round(late) });
    due = now + LOOP_PROBE_MS;
    timer = clock.setTimeout(tick, LOOP_PROBE_MS);
  };
  timer = clock.setTimeout(tick, LOOP_PROBE_MS);
  return () => clock.clearTimeout(timer);
}
