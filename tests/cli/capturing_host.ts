/** A ProcessHost for CLI commands under test: stdout goes into `out`, stderr nowhere. */
import type { ProcessHost } from "../../src/platform/types.ts";

export function capturingHost(out: string[]): ProcessHost {
  return {
    argv: () => [],
    exit: (code: number): never => {
      throw new Error(`exit ${code}`);
    },
    onShutdown: () => {},
    env: () => undefined,
    writeStdout: (text: string) => out.push(text),
    writeStderr: () => {},
  };
}
