/**
 * The RESP port's guard against HTTP (a cross-protocol request: a web page makes the browser
 * POST to the port, with Redis commands in the body). As Redis 7 does, a command named `POST`
 * or `Host:` closes the connection at once, without a reply and without running anything after
 * it; TinyKV also closes a connection whose first line is an HTTP request line
 * (`PUT / HTTP/1.0`), which Redis would answer and go on reading. The node logs it, at most
 * once a minute (RESP_HTTP_WARNING_INTERVAL_MS) so a flood cannot fill the log.
 */
import { RESP_HTTP_WARNING_INTERVAL_MS } from "../../limits_ops.ts";
import { fromUtf8 } from "../../util/bytes.ts";

const HTTP_NAMES = new Set(["POST", "HOST:"]);
const METHOD = /^[A-Z]{3,7}$/;
const HTTP_VERSION = /^HTTP\/[0-9]/;

/** Whether a command (the `first` of its connection or not) is really part of an HTTP request. */
export function looksLikeHttp(args: readonly Uint8Array[], first: boolean): boolean {
  // After the first command only "POST" or "HOST:" (4 or 5 bytes) can be HTTP: skip the rest.
  if (!first && args[0].length !== 4 && args[0].length !== 5) return false;
  const name = fromUtf8(args[0].subarray(0, 16)).toUpperCase();
  if (HTTP_NAMES.has(name)) return true;
  return first && args.length === 3 && METHOD.test(name) &&
    HTTP_VERSION.test(fromUtf8(args[2].subarray(0, 16)));
}

/** The port's log line about it, rate-limited. */
export class HttpWarning {
  #lastMs = Number.NEGATIVE_INFINITY;
  suppressed = 0;

  constructor(readonly log: (line: string) => void, readonly nowMs: () => number) {}

  warn(addr: string): void {
    const now = this.nowMs();
    if (now - this.#lastMs < RESP_HTTP_WARNING_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} more since the last such line)` : "";
    this.#lastMs = now;
    this.suppressed = 0;
    this.log(
      `resp: possible cross-protocol attack: ${addr} sent an HTTP request to the RESP port; ` +
        `connection closed, nothing run${more}`,
    );
  }
}
