/**
 * Platform.afterIo on the real runtimes: a macrotask (setImmediate) runs once the callbacks of
 * the sockets that were ready in this event-loop turn have run, where a microtask would run
 * after the first of them (Bun drains microtasks after each socket callback).
 */
import { setImmediate } from "node:timers";

export function afterIo(fn: () => void): void {
  setImmediate(fn);
}
