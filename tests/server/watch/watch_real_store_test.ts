/**
 * The watch hub over the real revisioned state machine (no Raft): history reads
 * with the previous states, the switch to synced, compaction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KvEvent } from "../../../src/kv/key_state.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import type { WatchMessage } from "../../../src/server/watch/watch_types.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv, put } from "../../kv/kv_helpers.ts";

const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });
const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });

function describe(e: KvEvent): string {
  const prev = e.prev === undefined ? "" : ` (was ${fromUtf8(e.prev.value)})`;
  const what = e.type === "put"
    ? `${fromUtf8(e.kv.key)}=${fromUtf8(e.kv.value)}`
    : `-${fromUtf8(e.kv.key)}`;
  return `${what}@${e.kv.modRevision}${prev}`;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

test("watch hub on the real store: history with previous states, then live changes", async () => {
  const { kv } = await openKv();
  const hub = new WatchHub({ source: kv, clock: new SimClock(), historyBatchEvents: 2 });
  const apply = async (commands: Uint8Array[]) => {
    await applyAll(kv, commands);
    hub.publish(kv.drainEvents(), kv.revision);
  };
  await apply([put("a", "1"), put("a", "2"), del("a"), put("b", "x"), put("c", "y")]);
  const messages: WatchMessage[] = [];
  const range = { key: b("a"), rangeEnd: b("c") };
  // Woken when messages wait; takes them after the current turn, as the port does.
  const watcher = hub.create({ range, startRevision: 1, prevKv: true, progressNotify: false }, {
    wake: () => queueMicrotask(take),
  });
  function take(): void {
    for (let m = watcher.take(1 << 20); m !== undefined; m = watcher.take(1 << 20)) {
      messages.push(m);
    }
  }
  for (let i = 0; i < 10 && !watcher.synced; i++) await settle();
  assert.equal(watcher.synced, true);
  await apply([put("a", "3"), put("b", "z")]);
  await settle();
  const events = messages.flatMap((m) => m.kind === "events" ? m.events.map(describe) : []);
  assert.deepEqual(events, [
    "a=1@1",
    "a=2@2 (was 1)",
    "-a@3 (was 2)",
    "b=x@4",
    "a=3@6",
    "b=z@7 (was x)",
  ]);

  await apply([compact(6)]);
  const old = hub.create({ range, startRevision: 5, prevKv: false, progressNotify: false }, {
    wake: () => {},
  });
  await settle();
  const end = old.take(1 << 20);
  assert.ok(end?.kind === "canceled" && end.compactRevision === 6, JSON.stringify(end));
  hub.close();
});
