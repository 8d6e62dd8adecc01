/**
 * How much longer a request may take because of the bytes it carries. Both
 * the client library (attempt timeout and deadline) and a node (waiting for a
 * write to apply, forwarding it to the leader) add this allowance, so a large
 * value is given time to move instead of being timed out and retried while
 * it is still on its way (docs/limits.md, "Large values and memory").
 */
import { CLIENT_TIMEOUT_BYTES_PER_SECOND } from "../limits.ts";

/** Bytes of the keys and values a request or command body carries. */
export function payloadBytes(body: unknown): number {
  let n = 0;
  const visit = (v: unknown, depth: number): void => {
    if (v instanceof Uint8Array) n += v.length;
    else if (depth < 6 && typeof v === "object" && v !== null) {
      for (const x of Object.values(v)) visit(x, depth + 1);
    }
  };
  visit(body, 0);
  return n;
}

/** Extra milliseconds for `bytes` of payload: 1 s per CLIENT_TIMEOUT_BYTES_PER_SECOND. */
export function transferAllowanceMs(bytes: number): number {
  return Math.ceil((bytes / CLIENT_TIMEOUT_BYTES_PER_SECOND) * 1000);
}
