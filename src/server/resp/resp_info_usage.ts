/**
 * INFO memory and cpu from the process's own counts (the runtime's resident
 * set and heap, user and system CPU time), in Redis's field names and number
 * formats. Without a source (the simulator, tests) they report zeros.
 */
import type { ProcessUsage } from "../../platform/types.ts";
import type { RespContext } from "./resp_command.ts";

const NONE: ProcessUsage = { rssBytes: 0, heapUsedBytes: 0, cpuUserMs: 0, cpuSystemMs: 0 };

/** Redis's human-readable byte count: "512B", "1.16M". */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

const usage = (ctx: RespContext) => ctx.node.processUsage?.() ?? NONE;

export function memoryLines(ctx: RespContext): string[] {
  const u = usage(ctx);
  return [
    `used_memory:${u.heapUsedBytes}`,
    `used_memory_human:${bytesToHuman(u.heapUsedBytes)}`,
    `used_memory_rss:${u.rssBytes}`,
    `used_memory_rss_human:${bytesToHuman(u.rssBytes)}`,
    "maxmemory:0",
    "maxmemory_human:0B",
    "maxmemory_policy:noeviction",
    "mem_allocator:js",
  ];
}

/** Seconds with six decimals, as Redis prints rusage times. */
const seconds = (ms: number) => (ms / 1000).toFixed(6);

export function cpuLines(ctx: RespContext): string[] {
  const u = usage(ctx);
  return [
    `used_cpu_sys:${seconds(u.cpuSystemMs)}`,
    `used_cpu_user:${seconds(u.cpuUserMs)}`,
    "used_cpu_sys_children:0.000000",
    "used_cpu_user_children:0.000000",
  ];
}
