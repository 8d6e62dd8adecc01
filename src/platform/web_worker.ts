/**
 * Background threads through the Web `Worker` API, which Deno and Bun both
 * implement (module workers, structured clone, transferable buffers).
 *
 * Where the worker's entry lives: from source it is src/storage_worker.ts next
 * to this folder. Bundled, this module is part of one file:
 * - a `bun build --compile` binary embeds every entry point given on the
 *   command line under /$bunfs/root/, and a worker names one by its path
 *   relative to the entries' common folder (compile.sh passes
 *   src/storage_worker.ts as the second entry): "./storage_worker.ts";
 * - a `deno bundle` (compile.sh's Deno route) has the worker bundled next to
 *   it as storage_worker.js.
 */
import type { WorkerChannel } from "./types.ts";

const COMPILED_BUN_PREFIX = "file:///$bunfs/";
const FROM_SOURCE = /\/platform\/web_worker\.ts$/;

function storageWorkerUrl(): string {
  const here = import.meta.url;
  if (here.startsWith(COMPILED_BUN_PREFIX)) return "./storage_worker.ts";
  if (!FROM_SOURCE.test(here)) return new URL("./storage_worker.js", here).href;
  return new URL("../storage_worker.ts", here).href;
}

function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (e instanceof ErrorEvent) return new Error(e.message || "worker error", { cause: e.error });
  return new Error(String(e));
}

export function startStorageWorker(): WorkerChannel {
  const w = new Worker(storageWorkerUrl(), { type: "module" });
  return {
    post: (message, transfer) => w.postMessage(message, transfer ?? []),
    setHandlers: (onMessage, onError) => {
      w.onmessage = (e: MessageEvent) => onMessage(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault(); // reported to the engine, not a crash of this thread
        onError(asError(e));
      };
      w.onmessageerror = () => onError(new Error("a worker message could not be decoded"));
    },
    close: () => w.terminate(),
  };
}

/** The worker's own side: `self` with postMessage and onmessage. */
interface WorkerScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
}

export function storageWorkerParent(): WorkerChannel {
  const scope = globalThis as unknown as WorkerScope;
  return {
    post: (message, transfer) => scope.postMessage(message, transfer ?? []),
    setHandlers: (onMessage) => {
      scope.onmessage = (e: MessageEvent) => onMessage(e.data);
    },
    close: () => {},
  };
}
