/**
 * A node's disk faults, as the ports, /status and /health see them
 * (docs/operations-disk.md):
 *
 * - `disk-full`: the Raft log or the engine cannot write for lack of space.
 *   Both retry with backoff; the node keeps running, refuses new writes
 *   (UNAVAILABLE, never proposed) and serves reads from its state.
 * - `corruption`: stored bytes failed a checksum (found by a read, an apply,
 *   a compaction, or at open). The node stops Raft for good — no votes, no
 *   campaigns — and answers every request with CORRUPTION until rebuilt.
 * - `stopped`: some other failure (a failed fsync) stopped the node.
 *
 * Each change is logged once, naming the file and offset for corruption.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { type CorruptionError, errorMessage, findCorruption } from "../../util/errors.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { type Logger, SILENT_LOGGER } from "../log/logger.ts";
import { ServiceError } from "../kv_service.ts";

export type FaultKind = "disk-full" | "corruption" | "stopped";

/** The `fault` field of /status (null when the node is fine). */
export interface Fault {
  readonly kind: FaultKind;
  readonly message: string;
  /** Corruption only: the damaged file and the offset of the bad bytes. */
  readonly file?: string;
  readonly offset?: number;
}

export interface FaultSources {
  readonly node: () => RaftGroup;
  readonly engine: () => EngineHolder;
}

/** How often faults found in the background (a retry, a compaction) are looked for. */
const CHECK_EVERY_MS = 500;

export function corruptionFault(err: CorruptionError): Fault {
  return { kind: "corruption", message: err.message, file: err.file, offset: err.offset };
}

/** The error a request gets from a node with `fault` (undefined: serve it). */
export function faultRefusal(fault: Fault, op: "write" | "read"): ServiceError | undefined {
  switch (fault.kind) {
    case "corruption":
      return new ServiceError(
        ErrorCode.CORRUPTION,
        `${fault.message}; this node refuses to serve (rebuild it: docs/operations-disk.md)`,
      );
    case "stopped":
      return new ServiceError(ErrorCode.UNAVAILABLE, fault.message);
    case "disk-full":
      if (op === "read") return undefined;
      return new ServiceError(
        ErrorCode.UNAVAILABLE,
        `${fault.message}; the write was not proposed, retry on another node or later`,
      );
  }
}

/** One line per change: `disk.full`, `disk.corruption`, `node.stopped`, `disk.fault_cleared`. */
export function logFault(logger: Logger, fault: Fault | undefined): void {
  if (fault === undefined) return logger.info("disk.fault_cleared");
  const event = fault.kind === "corruption"
    ? "disk.corruption"
    : fault.kind === "disk-full"
    ? "disk.full"
    : "node.stopped";
  logger.error(event, { file: fault.file, offset: fault.offset, error: fault.message });
}

export class FaultMonitor {
  #reported = "";
  #timer: TimerId | undefined;

  constructor(
    readonly sources: FaultSources,
    readonly clock: Clock,
    readonly logger: Logger = SILENT_LOGGER,
  ) {}

  /** The node's fault now; logs a change, and halts Raft on corruption. */
  current(): Fault | undefined {
    const fault = this.#compute();
    const key = fault === undefined ? "" : `${fault.kind}: ${fault.message}`;
    if (key !== this.#reported) {
      this.#reported = key;
      logFault(this.logger, fault);
    }
    if (fault?.kind === "corruption") this.sources.node().halt(new Error(fault.message));
    return fault;
  }

  /** The error for `op` if the node has a fault that forbids it. */
  refusal(op: "write" | "read"): ServiceError | undefined {
    const fault = this.current();
    return fault === undefined ? undefined : faultRefusal(fault, op);
  }

  /** Throws the refusal for `op`, if any. */
  check(op: "write" | "read"): void {
    const refusal = this.refusal(op);
    if (refusal !== undefined) throw refusal;
  }

  #compute(): Fault | undefined {
    const node = this.sources.node(), engine = this.sources.engine();
    const corruption = engine.corruption ?? findCorruption(node.failure) ??
      findCorruption(engine.db.failure);
    if (corruption !== undefined) return corruptionFault(corruption);
    if (node.failure !== undefined) {
      return { kind: "stopped", message: `node stopped: ${errorMessage(node.failure)}` };
    }
    const full = node.diskFull ?? engine.db.outOfSpace;
    if (full !== undefined) return { kind: "disk-full", message: `disk full: ${full.message}` };
    return undefined;
  }

  /**
   * Looks for faults periodically, so each is logged (and acted on) when it appears. The
   * same timer writes the log's due `log.suppressed` summaries (docs/logging.md).
   */
  start(): void {
    const loop = () => {
      this.#timer = this.clock.setTimeout(loop, CHECK_EVERY_MS);
      this.current();
      this.logger.flushDue();
    };
    this.#timer = this.clock.setTimeout(loop, CHECK_EVERY_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
