/** How a simulated network behaves (sim_net.ts). */
import type { SimTrace } from "./sim_trace.ts";

export interface SimNetOptions {
  /** One-way latency of each write, uniform in virtual ms (default 1..5). */
  delayMinMs?: number;
  delayMaxMs?: number;
  /** Unread bytes a receiver holds before the sender's `write()` returns false (256 KiB). */
  windowBytes?: number;
  /** A connection over a cut link is reset after this long if still cut (200..2000). */
  cutResetMinMs?: number;
  cutResetMaxMs?: number;
  /** A connect across a cut link fails after this long (default 1000). */
  connectTimeoutMs?: number;
  /** Split and merge chunks at random points (default true). */
  rechunk?: boolean;
  /** Overwrite each chunk after `onData` returns, to catch readers keeping views (true). */
  scribbleReads?: boolean;
  trace?: SimTrace;
  /** Also trace every segment delivered (busy; default false). */
  traceBytes?: boolean;
}
