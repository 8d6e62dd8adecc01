/**
 * Wraps a KvService to count requests by operation and result and to record
 * their latency, for /metrics. Both client ports go through it.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock } from "../../platform/types.ts";
import { type Consistency, type KvService, ServiceError } from "../kv_service.ts";
import { exponentialBuckets, type MetricsRegistry } from "./registry.ts";
import { commandKey, commandKind, noteSlowRequest, type SlowRequestLog } from "./slow_requests.ts";
import type { Logger } from "../log/logger.ts";
import { SLOW_REQUEST_MS_DEFAULT } from "../../limits_ops.ts";

type Note = { key?: Uint8Array; kind?: string };

/** Counts one finished request (`err` undefined: ok) and records its latency. */
type Done = (op: string, t0: number, err: unknown, note: Note) => void;

function requestRecorder(registry: MetricsRegistry, clock: Clock, slow?: SlowRequestLog): Done {
  const requests = registry.counter(
    "tinykv_requests_total",
    "Client requests by operation and result.",
    ["op", "result"],
  );
  const latency = registry.histogram(
    "tinykv_request_duration_seconds",
    "Client request latency by operation.",
    ["op"],
    exponentialBuckets(0.0001, 2, 16),
  );
  // Each operation's ok counter and latency series, found once: a label key per request cost
  // a few per cent of a node's CPU under a read load.
  const oks = new Map<string, { inc(): void }>();
  const latencies = new Map<string, { observe(v: number): void }>();
  const once = <T>(m: Map<string, T>, op: string, make: () => T): T => {
    let s = m.get(op);
    if (s === undefined) m.set(op, s = make());
    return s;
  };
  return (op, t0, err, note) => {
    let result = "ok";
    if (err !== undefined) {
      const code = err instanceof ServiceError ? ErrorCode[err.code] ?? "UNKNOWN" : "INTERNAL";
      result = String(code).toLowerCase();
      requests.inc({ op, result });
    } else {
      once(oks, op, () => requests.child({ op, result })).inc();
    }
    const ms = clock.nowMs() - t0;
    once(latencies, op, () => latency.child({ op })).observe(ms / 1000);
    noteSlowRequest(slow, note.kind ?? op, ms, note.key, result);
  };
}

/** Also logs requests that take `slowMs` or longer to `logger` (slow_requests.ts; 0: off). */
export function meteredService(
  inner: KvService,
  registry: MetricsRegistry,
  clock: Clock,
  logger?: Logger,
  slowMs = SLOW_REQUEST_MS_DEFAULT,
): KvService {
  const slow: SlowRequestLog | undefined = logger === undefined ? undefined : { logger, slowMs };
  const done = requestRecorder(registry, clock, slow);
  const measure = async <T>(op: string, run: () => Promise<T>, note: Note = {}): Promise<T> => {
    const t0 = clock.nowMs();
    try {
      const r = await run();
      done(op, t0, undefined, note);
      return r;
    } catch (err) {
      done(op, t0, err ?? "error", note);
      throw err;
    }
  };
  const mode = (c: Consistency) => c === "serializable" ? "_serializable" : "";
  return {
    write: (command) =>
      measure(`write_${command.body?.case ?? "none"}`, () => inner.write(command), {
        key: commandKey(command),
        kind: commandKind("write", command),
      }),
    execute: (command) =>
      measure(`command_${command.body?.case ?? "none"}`, () => inner.execute(command), {
        key: commandKey(command),
        kind: commandKind("command", command),
      }),
    get: (key, c, revision) => measure(`get${mode(c)}`, () => inner.get(key, c, revision), { key }),
    scan: (request, c) =>
      measure(`scan${mode(c)}`, () => inner.scan(request, c), {
        key: request.prefix ?? request.start,
      }),
    count: (c) => measure(`count${mode(c)}`, () => inner.count(c)),
    readState: (c, read) => measure(`read_state${mode(c)}`, () => inner.readState(c, read)),
    // Only answers are counted: a read that must wait is counted by the readState it goes on to.
    readStateNow: (c, read) => {
      const t0 = clock.nowMs();
      try {
        const answer = inner.readStateNow?.(c, read);
        if (answer !== undefined) done(`read_state${mode(c)}`, t0, undefined, {});
        return answer;
      } catch (err) {
        done(`read_state${mode(c)}`, t0, err ?? "error", {});
        throw err;
      }
    },
    status: () => inner.status(),
    regions: inner.regions,
  };
}
