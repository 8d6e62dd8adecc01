/** This process's memory and CPU use (INFO memory/cpu), from node:process in Deno and Bun alike. */
import process from "node:process";
import type { ProcessUsage } from "./types.ts";

export function processUsage(): ProcessUsage {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
  };
}
