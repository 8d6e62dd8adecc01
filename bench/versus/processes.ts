/**
 * Everything bench:versus starts, so that all of it goes at the end: child processes (killed by
 * pid), clusters and temp dirs. `cleanUp` runs on normal exit, on error and on Ctrl-C/SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import process from "node:process";
import { makeTempDir, removeTempDir } from "../../tests/helpers/temp_dir.ts";

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const stoppers = new Set<() => Promise<void>>();

/** Starts a long-running server process; its output is dropped (the bench reads none of it). */
export function startServer(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: "ignore" });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** A temp dir removed at clean-up. */
export function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  tempDirs.add(dir);
  return dir;
}

/** Registers something with its own stop (a TinyKV cluster); returns its unregister. */
export function onCleanUp(stop: () => Promise<void>): () => void {
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/**
 * Runs a command to completion and returns its stdout; killed after `timeoutMs` so that no step
 * of the bench can hang it. Fails with the command's stderr when it exits non-zero.
 */
export function runTool(
  cmd: string,
  args: string[],
  timeoutMs: number,
  env?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { maxBuffer: 1 << 24, timeout: timeoutMs, killSignal: "SIGKILL" as const };
    const child = execFile(cmd, args, { ...options, ...(env ? { env } : {}) }, (err, out, e) => {
      children.delete(child);
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${e}`.trim()));
      else resolve(out);
    });
    children.add(child);
  });
}

/** Kills every child by pid, stops every cluster, removes every temp dir. Safe to call twice. */
export async function cleanUp(): Promise<void> {
  for (const child of [...children]) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // Already gone between the check and the kill.
      }
    }
    children.delete(child);
  }
  for (const stop of [...stoppers]) {
    stoppers.delete(stop);
    await stop().catch(() => {});
  }
  for (const dir of [...tempDirs]) {
    tempDirs.delete(dir);
    removeTempDir(dir);
  }
}

/** Ctrl-C or SIGTERM: clean up, then exit with the conventional 128 + signal number. */
export function cleanUpOnSignals(): void {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping everything bench:versus started`);
      cleanUp().finally(() => process.exit(code));
    });
  }
}

/** Whether `cmd` is on PATH (`command -v` through sh, bounded). */
export async function installed(cmd: string): Promise<boolean> {
  try {
    await runTool("sh", ["-c", `command -v "$0"`, cmd], 5000);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
