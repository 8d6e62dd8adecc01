/** A ProcessHost that records what a CLI run writes, for runCli tests. */
import type { ProcessHost } from "../../src/platform/types.ts";

export function captureHost(env: Record<string, string> = {}): ProcessHost & {
  out: string;
  err: string;
} {
  const h = {
    out: "",
    err: "",
    argv: () => [],
    exit: (code: number): never => {
      throw new Error(`exit ${code}`);
    },
    onShutdown: () => {},
    env: (name: string) => env[name],
    writeStdout(text: string) {
      h.out += text;
    },
    writeStderr(text: string) {
      h.err += text;
    },
  };
  return h;
}
