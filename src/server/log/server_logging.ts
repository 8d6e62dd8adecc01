/**
 * What the server wires to the node's logger (docs/logging.md): the slow-request log of the
 * metered service, the RESP port's line about HTTP sent to it, and the timer that writes the
 * `log.suppressed` summaries (logger.ts) when they are due.
 */
import { LOG_SUPPRESSED_SUMMARY_MS, SLOW_REQUEST_MS_DEFAULT } from "../../limits_ops.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { Logger } from "./logger.ts";
import type { SlowRequestLog } from "../metrics/slow_requests.ts";

export interface ServerLogging {
  readonly slow: SlowRequestLog;
  readonly respWarning: (text: string) => void;
  readonly summaries: { stop(): void };
}

/** `slowRequestMs` defaults to SLOW_REQUEST_MS_DEFAULT (0: no slow-request lines). */
export function serverLogging(
  logger: Logger,
  clock: Clock,
  slowRequestMs = SLOW_REQUEST_MS_DEFAULT,
): ServerLogging {
  return {
    slow: { logger, slowMs: slowRequestMs },
    respWarning: (text) => logger.warn("resp.http_refused", { text }),
    summaries: startSuppressedSummaries(logger, clock),
  };
}

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
