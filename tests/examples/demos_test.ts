/**
 * The examples' demos (what `deno run -A examples/lock.ts` runs), two at once against an
 * in-process cluster: the second waits for the first, and each prints what happened.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { main as lockDemo } from "../../examples/lock.ts";
import { main as electionDemo } from "../../examples/election.ts";
import { startCluster } from "../server/cluster_helpers.ts";

type Demo = typeof lockDemo | typeof electionDemo;

/** Runs `demo` twice at once; returns the lines both printed, in order, tagged "A:" and "B:". */
async function twice(demo: Demo): Promise<string[]> {
  const c = await startCluster(3);
  try {
    const lines: string[] = [];
    const run = (tag: string) =>
      demo(c.client(), { holdMs: 300, leadMs: 300, log: (l) => lines.push(`${tag}: ${l}`) });
    await Promise.all([run("A"), run("B")]);
    return lines;
  } finally {
    await c.close();
  }
}

test("demo: examples/lock.ts run twice: the second locks after the first unlocks", {
  timeout: 60_000,
}, async () => {
  const lines = await twice(lockDemo);
  const locked = lines.filter((l) => / locked at revision \d+/.test(l));
  assert.equal(locked.length, 2, lines.join("\n"));
  const firstTag = locked[0].slice(0, 1);
  const firstUnlock = lines.indexOf(`${firstTag}: unlocking`);
  assert.ok(firstUnlock >= 0 && firstUnlock < lines.indexOf(locked[1]), lines.join("\n"));
  assert.equal(
    lines.filter((l) => l.endsWith("wrote examples/lock-owner under the lock")).length,
    2,
  );
});

test("demo: examples/election.ts run twice: each leads in turn and sees the other", {
  timeout: 60_000,
}, async () => {
  const lines = await twice(electionDemo);
  const leads = lines.filter((l) => / leads \(revision \d+\)/.test(l));
  assert.equal(leads.length, 2, lines.join("\n"));
  const firstTag = leads[0].slice(0, 1);
  const other = firstTag === "A" ? "B" : "A";
  // The second candidate's observer saw the first lead, busy, before its own turn came.
  const sawBusy = lines.findIndex((l) =>
    l.startsWith(`${other}: leader: candidate-`) && l.endsWith("(busy)")
  );
  assert.ok(sawBusy >= 0 && sawBusy < lines.indexOf(leads[1]), lines.join("\n"));
});
