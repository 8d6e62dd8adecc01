/**
 * The node's structured log (docs/logging.md): one line per event, an event
 * name and its fields, as text or JSON. Each event kind has its own token
 * bucket (LOG_EVENT_BURST, then LOG_EVENTS_PER_SECOND), so a flapping peer or a
 * storm of slow requests cannot flood the disk; what a bucket drops is summed
 * up later in one `log.suppressed event=X count=N` line per kind.
 *
 * No runtime APIs here: the caller gives the sink (stderr in the binary) and
 * the clocks, and calls `flushDue` on a timer of its own (the node: faults.ts).
 */
import {
  LOG_EVENT_BURST,
  LOG_EVENTS_PER_SECOND,
  LOG_KEY_PREFIX_BYTES,
  LOG_SUPPRESSED_SUMMARY_MS,
} from "../../limits_ops.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = typeof LOG_FORMATS[number];
export type LogValue = string | number | boolean | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Writes a `log.suppressed` line for each event kind that dropped lines since the last. */
  flushSuppressed(): void;
  /** The same, once LOG_SUPPRESSED_SUMMARY_MS have passed since the last summary (a timer's). */
  flushDue(): void;
}

export interface LoggerOptions {
  /** Takes one finished line, without its newline. */
  readonly write: (line: string) => void;
  readonly format?: LogFormat;
  /** Lines below this level are not written (default info). */
  readonly level?: LogLevel;
  /** Wall-clock Unix ms, for the timestamp. */
  readonly wallMs: () => number;
  /** Monotonic ms, for the rate bound. */
  readonly nowMs: () => number;
  readonly burst?: number;
  readonly perSecond?: number;
  readonly summaryMs?: number;
}

/** A logger that writes nothing (tests, embedded use). */
export const SILENT_LOGGER: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  flushSuppressed: () => {},
  flushDue: () => {},
};

interface Bucket {
  tokens: number;
  atMs: number;
  suppressed: number;
}

export function createLogger(o: LoggerOptions): Logger {
  const format = o.format ?? "text";
  const min = LOG_LEVELS.indexOf(o.level ?? "info");
  const burst = o.burst ?? LOG_EVENT_BURST;
  const perMs = (o.perSecond ?? LOG_EVENTS_PER_SECOND) / 1000;
  const summaryMs = o.summaryMs ?? LOG_SUPPRESSED_SUMMARY_MS;
  const buckets = new Map<string, Bucket>();
  let suppressedKinds = 0;
  let lastSummaryMs = o.nowMs();
  const emit = (level: LogLevel, event: string, fields: LogFields) => {
    try {
      o.write(formatLine(format, o.wallMs(), level, event, fields));
    } catch {
      // A closed or failing stderr loses the line; logging must never stop the node.
    }
  };
  const flushSuppressed = () => {
    lastSummaryMs = o.nowMs();
    if (suppressedKinds === 0) return;
    for (const [event, b] of buckets) {
      if (b.suppressed === 0) continue;
      emit("warn", "log.suppressed", { event, count: b.suppressed });
      b.suppressed = 0;
    }
    suppressedKinds = 0;
  };
  /** Takes a token for `event`; false (and counted) when its bucket is empty. */
  const admit = (event: string, now: number): boolean => {
    let b = buckets.get(event);
    if (b === undefined) buckets.set(event, b = { tokens: burst, atMs: now, suppressed: 0 });
    b.tokens = Math.min(burst, b.tokens + (now - b.atMs) * perMs);
    b.atMs = now;
    if (b.tokens >= 1) {
      b.tokens--;
      return true;
    }
    if (b.suppressed++ === 0) suppressedKinds++;
    return false;
  };
  const flushDue = () => {
    if (suppressedKinds > 0 && o.nowMs() - lastSummaryMs >= summaryMs) flushSuppressed();
  };
  const log = (level: LogLevel) => (event: string, fields: LogFields = {}) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    flushDue(); // due summaries go out before the next line, even without the caller's timer
    if (admit(event, o.nowMs())) emit(level, event, fields);
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    flushSuppressed,
    flushDue,
  };
}

/** One line in `format`: text `TS LEVEL event k=v ...` or a JSON object. */
export function formatLine(
  format: LogFormat,
  wallMs: number,
  level: LogLevel,
  event: string,
  fields: LogFields,
): string {
  const ts = new Date(wallMs).toISOString();
  const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (format === "json") {
    return JSON.stringify({ ts, level, event, fields: Object.fromEntries(defined) });
  }
  const parts = defined.map(([k, v]) => `${k}=${textValue(v)}`);
  return [ts, level.toUpperCase().padEnd(5), event, ...parts].join(" ");
}

/**
 * A value as text: quoted (JSON escapes) when it is empty or holds spaces, quotes, `=` or
 * anything but printable ASCII, which is escaped too (`\u2028`): one event, one line.
 */
function textValue(v: LogValue): string {
  const s = String(v);
  if (s !== "" && !/[\s"=\\]|[^\x20-\x7e]/.test(s)) return s;
  return JSON.stringify(s).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export function parseLogLevel(text: string): LogLevel | undefined {
  return LOG_LEVELS.find((l) => l === text);
}

export function parseLogFormat(text: string): LogFormat | undefined {
  return LOG_FORMATS.find((f) => f === text);
}

/**
 * A key for a log line: at most LOG_KEY_PREFIX_BYTES of it as text (bytes that are not
 * printable ASCII as `\xNN`), and `...` when it was cut. Keys may be long or private.
 */
export function keyPrefix(
  key: Uint8Array | undefined,
  max = LOG_KEY_PREFIX_BYTES,
): string | undefined {
  if (key === undefined) return undefined;
  let s = "";
  for (const b of key.subarray(0, max)) {
    s += b >= 0x21 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${hex(b)}`;
  }
  return key.length > max ? `${s}...` : s;
}

const hex = (b: number) => b.toString(16).padStart(2, "0");
