/**
 * A crashed node's incarnation is abandoned mid-flight: promise chains it
 * left may reject later (their files and sockets are fenced off), sometimes
 * with nobody listening. Under Deno and Bun an unhandled rejection ends the
 * process, which would end the whole run; while a seed runs, such rejections
 * are caught and written to its trace instead. The runtimes' `process` object
 * (Deno 2 and Bun both provide it) is reached through globalThis, with no import.
 */
type RejectionListener = (reason: unknown) => void;

interface ProcessEvents {
  on(event: "unhandledRejection", fn: RejectionListener): void;
  off(event: "unhandledRejection", fn: RejectionListener): void;
}

export function catchStrayRejections(report: (reason: string) => void): { stop(): void } {
  const events = (globalThis as { process?: ProcessEvents }).process;
  const listener: RejectionListener = (reason) => {
    report(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  };
  events?.on("unhandledRejection", listener);
  return { stop: () => events?.off("unhandledRejection", listener) };
}
