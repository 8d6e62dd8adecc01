/**
 * The node's stall log (src/server/node/loop_stall_log.ts): the Raft timer finding its ticks late
 * and a Raft round running long are each logged and counted from half an election timeout, and
 * not below it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock, TimerId } from "../../src/platform/types.ts";
import type { LogFields, Logger } from "../../src/server/log/logger.ts";
import { SILENT_LOGGER } from "../../src/server/log/logger.ts";
import { LoopStallLog } from "../../src/server/node/loop_stall_log.ts";
import { MultiRaftLoop } from "../../src/raft/multi/driver_loop.ts";
import type { MultiRaftDriver } from "../../src/raft/multi/driver.ts";

/** A clock whose time moves only when told; timers are kept, fired by hand. */
class HeldClock implements Clock {
  now = 0;
  readonly timers = new Map<number, () => void>();
  #next = 1;
  nowMs(): number {
    return this.now;
  }
  wallMs(): number {
    return this.now;
  }
  setTimeout(fn: () => void, _ms: number): TimerId {
    const id = this.#next++;
    this.timers.set(id, fn);
    return id as unknown as TimerId;
  }
  clearTimeout(id: TimerId): void {
    this.timers.delete(id as unknown as number);
  }
  /** Fires the timers set so far (not those they set). */
  fire(): void {
    const due = [...this.timers.entries()];
    this.timers.clear();
    for (const [, fn] of due) fn();
  }
}

function recordingLogger(lines: { event: string; fields?: LogFields }[]): Logger {
  return { ...SILENT_LOGGER, warn: (event, fields) => lines.push({ event, fields }) };
}

/** A driver whose every round takes `roundMs` of the clock's time. */
function slowDriver(clock: HeldClock, state: { roundMs: number; rounds: number }): MultiRaftDriver {
  const driver = {
    loop: undefined as unknown,
    failure: undefined,
    tick: () => {},
    runOnce: () => {
      state.rounds++;
      clock.now += state.roundMs;
      return Promise.resolve();
    },
  };
  return driver as unknown as MultiRaftDriver;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("stall log: a late Raft timer and a long round are logged from the threshold", async () => {
  const clock = new HeldClock();
  const lines: { event: string; fields?: LogFields }[] = [];
  const stalls = new LoopStallLog(recordingLogger(lines), 500);
  const state = { roundMs: 0, rounds: 0 };
  const loop = new MultiRaftLoop(slowDriver(clock, state), clock, 20, stalls);
  loop.start();

  // On time, then 200 ms late (below the threshold): nothing logged.
  clock.now += 20;
  clock.fire();
  await settle();
  clock.now += 220;
  clock.fire();
  await settle();
  assert.equal(state.rounds, 2);
  assert.equal(lines.length, 0);

  // The event loop held for 900 ms: the timer finds its ticks 880 ms late (one tick is due).
  clock.now += 900;
  clock.fire();
  await settle();
  assert.deepEqual(lines.map((l) => l.event), ["raft.timer_late"]);
  assert.equal(lines[0].fields?.ms, 880);
  assert.equal(stalls.counts.late, 1);

  // A round that takes 700 ms (a slow fsync): logged as such.
  state.roundMs = 700;
  loop.kick();
  await settle();
  assert.deepEqual(lines.map((l) => l.event), ["raft.timer_late", "raft.round_slow"]);
  assert.equal(lines[1].fields?.ms, 700);
  assert.deepEqual(stalls.counts, { late: 1, round: 1 });
  loop.stop();
});
