import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createLogger,
  formatLine,
  keyPrefix,
  type LoggerOptions,
  parseLogFormat,
  parseLogLevel,
} from "../../src/server/log/logger.ts";
import {
  LOG_EVENT_BURST,
  LOG_EVENTS_PER_SECOND,
  LOG_KEY_PREFIX_BYTES,
  LOG_SUPPRESSED_SUMMARY_MS,
} from "../../src/limits_ops.ts";

const TS = Date.UTC(2026, 11, 3, 15, 0, 0, 0);

/** A logger on a hand-moved clock, writing into `lines`. */
function capture(o: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const clock = { ms: 0 };
  const logger = createLogger({
    write: (l) => lines.push(l),
    wallMs: () => TS + clock.ms,
    nowMs: () => clock.ms,
    ...o,
  });
  return { lines, clock, logger };
}

test("log: the text format is `TS LEVEL event k=v ...`", () => {
  assert.equal(
    formatLine("text", TS, "info", "election.won", { term: 5, node: 1, votes: "2/3" }),
    "2026-12-03T15:00:00.000Z INFO  election.won term=5 node=1 votes=2/3",
  );
  assert.equal(
    formatLine("text", TS, "error", "disk.full", { error: "no space left", file: undefined }),
    '2026-12-03T15:00:00.000Z ERROR disk.full error="no space left"',
    "values with spaces are quoted; undefined fields are left out",
  );
  assert.equal(
    formatLine("text", TS, "warn", "x", { a: "", b: 'say "hi"', c: "k=v", d: true }),
    '2026-12-03T15:00:00.000Z WARN  x a="" b="say \\"hi\\"" c="k=v" d=true',
  );
});

test("log: a value cannot start a line of its own or forge a field (no log injection)", () => {
  const forged = "x\n2026-12-03T15:00:00.000Z ERROR disk.corruption file=evil";
  const line = formatLine("text", TS, "warn", "request.slow", { key: forged, ms: 1 });
  assert.ok(!line.includes("\n"));
  assert.equal(
    line,
    "2026-12-03T15:00:00.000Z WARN  request.slow " +
      'key="x\\n2026-12-03T15:00:00.000Z ERROR disk.corruption file=evil" ms=1',
  );
  assert.equal(
    formatLine("text", TS, "info", "e", { k: "a\u00e9\u2028" }),
    '2026-12-03T15:00:00.000Z INFO  e k="a\\u00e9\\u2028"',
    "all but printable ASCII is escaped",
  );
});

test("log: the json format is one object per line with ts, level, event, fields", () => {
  const line = formatLine("json", TS, "warn", "peer.lost", {
    peer: 2,
    address: "127.0.0.1:7002",
    error: "refused\nreally",
    skipped: undefined,
  });
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), {
    ts: "2026-12-03T15:00:00.000Z",
    level: "warn",
    event: "peer.lost",
    fields: { peer: 2, address: "127.0.0.1:7002", error: "refused\nreally" },
  });
});

test("log: lines below the level are not written", () => {
  const { lines, logger } = capture({ level: "warn" });
  logger.debug("a");
  logger.info("b");
  logger.warn("c");
  logger.error("d");
  assert.deepEqual(lines.map((l) => l.slice(25)), ["WARN  c", "ERROR d"]);
  const all = capture({ level: "debug", format: "json" });
  all.logger.debug("a");
  all.logger.info("b");
  assert.deepEqual(all.lines.map((l) => JSON.parse(l).level), ["debug", "info"]);
});

test("log: flag values parse, others are refused", () => {
  assert.equal(parseLogLevel("debug"), "debug");
  assert.equal(parseLogLevel("error"), "error");
  assert.equal(parseLogLevel("INFO"), undefined);
  assert.equal(parseLogLevel("trace"), undefined);
  assert.equal(parseLogFormat("json"), "json");
  assert.equal(parseLogFormat("text"), "text");
  assert.equal(parseLogFormat("logfmt"), undefined);
});

test("log: each event kind has its own burst, then one line a second", () => {
  const { lines, clock, logger } = capture();
  for (let i = 0; i < 100; i++) logger.warn("peer.lost", { i });
  assert.equal(lines.length, LOG_EVENT_BURST, "a burst, then nothing");
  logger.info("election.won");
  assert.equal(lines.length, LOG_EVENT_BURST + 1, "another kind has its own bucket");
  clock.ms += 1000 / LOG_EVENTS_PER_SECOND;
  for (let i = 0; i < 10; i++) logger.warn("peer.lost", { i });
  assert.equal(lines.length, LOG_EVENT_BURST + 2, "one more after a second");
});

test("log: dropped lines are summed up per kind in log.suppressed", () => {
  const { lines, clock, logger } = capture({ burst: 2, summaryMs: 5000 });
  for (let i = 0; i < 7; i++) logger.warn("request.slow");
  for (let i = 0; i < 3; i++) logger.warn("peer.lost");
  logger.flushSuppressed();
  const summaries = lines.filter((l) => l.includes("log.suppressed"));
  assert.deepEqual(summaries.map((l) => l.slice(25)), [
    "WARN  log.suppressed event=request.slow count=5",
    "WARN  log.suppressed event=peer.lost count=1",
  ]);
  logger.flushSuppressed();
  assert.equal(lines.filter((l) => l.includes("log.suppressed")).length, 2, "counts restart");
  // Without the caller's timer, a due summary goes out before the next line.
  for (let i = 0; i < 4; i++) logger.warn("peer.lost");
  const before = lines.length;
  clock.ms += 5000;
  logger.info("election.started");
  assert.deepEqual(lines.slice(before).map((l) => l.slice(25)), [
    "WARN  log.suppressed event=peer.lost count=4",
    "INFO  election.started",
  ]);
});

test("log: flushDue writes the summaries only once they are due", () => {
  const { lines, clock, logger } = capture({ burst: 1, summaryMs: 10_000 });
  logger.warn("peer.lost");
  logger.warn("peer.lost");
  logger.flushDue();
  assert.equal(lines.length, 1, "not due yet");
  clock.ms += 10_000;
  logger.flushDue();
  assert.match(lines[1], /log\.suppressed event=peer\.lost count=1$/);
  clock.ms += 10_000;
  logger.flushDue();
  assert.equal(lines.length, 2, "nothing new dropped: no line");
});

test("log: the default rate limits are the documented ones", () => {
  assert.equal(LOG_EVENT_BURST, 20);
  assert.equal(LOG_EVENTS_PER_SECOND, 1);
  assert.equal(LOG_SUPPRESSED_SUMMARY_MS, 10_000);
  const { lines, logger } = capture();
  for (let i = 0; i < 1000; i++) logger.warn("request.slow");
  logger.flushSuppressed();
  assert.equal(lines.length, LOG_EVENT_BURST + 1);
  assert.match(lines[LOG_EVENT_BURST], /log\.suppressed event=request\.slow count=980$/);
});

test("log: keys are cut to a prefix and unprintable bytes escaped", () => {
  const enc = new TextEncoder();
  assert.equal(keyPrefix(enc.encode("user/42")), "user/42");
  assert.equal(keyPrefix(new Uint8Array([0x61, 0x00, 0x20, 0x5c, 0xff])), "a\\x00\\x20\\x5c\\xff");
  const long = enc.encode("k".repeat(LOG_KEY_PREFIX_BYTES + 10));
  assert.equal(keyPrefix(long), `${"k".repeat(LOG_KEY_PREFIX_BYTES)}...`);
  assert.equal(keyPrefix(undefined), undefined);
});

test("log: a sink that throws loses the line, never the caller", () => {
  const { logger } = capture({
    write: () => {
      throw new Error("EPIPE");
    },
  });
  assert.doesNotThrow(() => logger.error("disk.full", { error: "x" }));
});
