/**
 * Wraps a KvService to count requests by operation and result and to record
 * their latency, for /metrics. Both client ports go through it.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock } from "../../platform/types.ts";
import { type Consistency, type KvService, ServiceError } from "../kv_service.ts";
import { exponentialBuckets, type MetricsRegistry } from "./registry.ts";

export function meteredService(
  inner: KvService,
  registry: MetricsRegistry,
  clock: Clock,
): KvService {
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
  const measure = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    const t0 = clock.nowMs();
    try {
      const r = await run();
      requests.inc({ op, result: "ok" });
      return r;
    } catch (err) {
      const code = err instanceof ServiceError ? ErrorCode[err.code] ?? "UNKNOWN" : "INTERNAL";
      requests.inc({ op, result: String(code).toLowerCase() });
      throw err;
    } finally {
      latency.observe((clock.nowMs() - t0) / 1000, { op });
    }
  };
  const mode = (c: Consistency) => c === "serializable" ? "_serializable" : "";
  return {
    write: (command) =>
      measure(`write_${command.body?.case ?? "none"}`, () => inner.write(command)),
    execute: (command) =>
      measure(`command_${command.body?.case ?? "none"}`, () => inner.execute(command)),
    get: (key, c, revision) => measure(`get${mode(c)}`, () => inner.get(key, c, revision)),
    scan: (request, c) => measure(`scan${mode(c)}`, () => inner.scan(request, c)),
    count: (c) => measure(`count${mode(c)}`, () => inner.count(c)),
    readState: (c, read) => measure(`read_state${mode(c)}`, () => inner.readState(c, read)),
    status: () => inner.status(),
  };
}
