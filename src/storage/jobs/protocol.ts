/**
 * Messages between the engine (main thread) and its background worker. Each
 * job carries the table numbers the main thread set aside for its outputs
 * (kept from garbage collection there); a worker that needs more asks.
 */
import { CorruptionError, IoError, NoSpaceError } from "../../util/errors.ts";
import type { CompactionJob, JobOutputs } from "../compaction/compactor.ts";
import type { FlushRun } from "./flush_run.ts";
import type { BlobPolicy } from "../compaction/output_set.ts";
import type { BlockCompression as Codec } from "../sstable/compression.ts";

export type ToWorker =
  | {
    type: "flush";
    id: number;
    dir: string;
    numbers: number[];
    run: FlushRun;
    codec: Codec;
    blobs: BlobPolicy;
  }
  | {
    type: "compact";
    id: number;
    dir: string;
    numbers: number[];
    job: CompactionJob;
    codec: Codec;
  }
  | { type: "numbers"; id: number; numbers: number[] }
  | { type: "cancel"; id: number }
  /** Files to delete (no answer): unlinking a large table held the serving thread 150 ms. */
  | { type: "remove"; paths: string[] };

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly file?: string;
  readonly offset?: number;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "need-number"; id: number }
  | { type: "done"; id: number; result: JobOutputs }
  | { type: "failed"; id: number; error: WireError };

/** Messages come from our own code on the other thread; this only checks the shape's tag. */
export function tagOf(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null || !("type" in message)) return undefined;
  return typeof message.type === "string" ? message.type : undefined;
}

export function toWire(err: unknown): WireError {
  if (err instanceof CorruptionError) {
    return { name: err.name, message: err.message, file: err.file, offset: err.offset };
  }
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

/** The worker's error as the same type the inline job would have thrown. */
export function fromWire(e: WireError): Error {
  switch (e.name) {
    case "NoSpaceError":
      return new NoSpaceError(e.message);
    case "IoError":
      return new IoError(e.message);
    case "CorruptionError": {
      const err = new CorruptionError(e.file ?? "?", e.offset ?? 0, "");
      err.message = e.message;
      return err;
    }
    default:
      return new Error(`${e.name} in the storage worker: ${e.message}`);
  }
}
