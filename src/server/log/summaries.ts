/** The timer that writes a node's `log.suppressed` summaries (logger.ts) when they are due. */
import { LOG_SUPPRESSED_SUMMARY_MS } from "../../limits_ops.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { Logger } from "./logger.ts";

export function startSuppressedSummaries(
  logger: Logger,
  clock: Clock,
  everyMs = LOG_SUPPRESSED_SUMMARY_MS,
): { stop(): void } {
  let timer: TimerId | undefined;
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    logger.flushSuppressed();
    timer = clock.setTimeout(loop, everyMs);
  };
  timer = clock.setTimeout(loop, everyMs);
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
