/**
 * The only place that asks which runtime this is (docs/style.md §2.19). Both adapters
 * are imported statically so a single bundled binary contains both; neither
 * touches its runtime's globals until one of its functions is called.
 */
import { createBunPlatform, createBunProcessHost } from "./bun.ts";
import { createDenoPlatform, createDenoProcessHost } from "./deno.ts";
import type { Platform, ProcessHost, RuntimeName } from "./types.ts";

export function detectRuntime(): Exclude<RuntimeName, "sim"> {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  throw new Error("TinyKV runs on Deno or Bun; this runtime is neither");
}

let cached: Platform | undefined;

/** The platform of the running runtime (one instance per process). */
export function getPlatform(): Platform {
  cached ??= detectRuntime() === "deno" ? createDenoPlatform() : createBunPlatform();
  return cached;
}

export function getProcessHost(): ProcessHost {
  return detectRuntime() === "deno" ? createDenoProcessHost() : createBunProcessHost();
}
