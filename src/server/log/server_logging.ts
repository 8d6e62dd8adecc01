/**
 * The RESP port's line about an HTTP request sent to it (a possible cross-protocol attack),
 * as a node event (docs/logging.md). The port rate-limits it itself (resp_http_guard.ts).
 */
import type { Logger } from "./logger.ts";

export function respHttpWarning(logger: Logger): (text: string) => void {
  return (text) => logger.warn("resp.http_refused", { text });
}
