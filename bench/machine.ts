/** Describes the machine and runtime a benchmark ran on, for its printed header. */
import * as os from "node:os";
import { getPlatform } from "../src/platform/detect.ts";

export function describeMachine(): string {
  const cpus = os.cpus();
  const runtime = getPlatform().runtime;
  const version = runtime === "deno"
    ? `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno}`
    : `bun ${(globalThis as { Bun?: { version: string } }).Bun?.version}`;
  return [
    `machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `runtime: ${version}`,
    `date: ${new Date().toISOString()}`,
    // Other work on a shared machine skews every number: say how busy it was.
    `load average: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`,
  ].join("\n");
}
