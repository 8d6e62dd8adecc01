import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFailovers, LOG_MATCH_SLACK_MS, raftLines } from "./log_lines.ts";
import { formatLine } from "../../src/server/log/logger.ts";

const T0 = Date.UTC(2026, 11, 3, 15, 0, 0);

/** A node's output as the binary writes it: its startup line, then text log lines. */
function output(...lines: [number, string, Record<string, string | number>][]): string {
  const text = lines.map(([ms, event, fields]) =>
    formatLine("text", T0 + ms, "info", event, fields)
  );
  return ["tinykv: node 1 serving", ...text, "[exited: code null, signal SIGKILL]"].join("\n");
}

test("chaos log lines: the Raft lines of every node, on the run's clock, oldest first", () => {
  const outputs = new Map([
    [1, output([100, "leader.changed", { node: 1, old: "none", new: 1, term: 2 }])],
    [
      2,
      output(
        [50, "election.won", { node: 2, term: 2, votes: "2/3" }],
        [60, "request.slow", { kind: "get", ms: 900 }],
      ),
    ],
  ]);
  const lines = raftLines(outputs, T0);
  assert.deepEqual(lines.map((l) => [l.node, l.atMs, l.event]), [
    [2, 50, "election.won"],
    [1, 100, "leader.changed"],
  ]);
  assert.equal(lines[0].fields.votes, "2/3");
  assert.equal(lines[1].text, "leader.changed old=none new=1 term=2");
});

test("chaos log lines: each measured failover needs a leader.changed line to another leader", () => {
  const outputs = new Map([
    [
      2,
      output(
        [1_000, "leader.changed", { node: 2, old: 1, new: "none", term: 2, reason: "timeout" }],
        [1_400, "leader.changed", { node: 2, old: "none", new: 2, term: 3, reason: "elected" }],
      ),
    ],
  ]);
  const lines = raftLines(outputs, T0);
  const ok = checkFailovers([{ kind: "kill-leader", at: 900, ms: 600, oldLeader: 1 }], lines);
  assert.equal(ok.ok, true, ok.text);
  assert.match(ok.text, /node 2 logged new=2 at 1\.40 s/);
  // The line is too late for what the harness measured, or names the old leader.
  const late = checkFailovers([{ kind: "kill-leader", at: 0, ms: 300, oldLeader: 1 }], lines);
  assert.equal(late.ok, false);
  assert.ok(1_400 > 300 + LOG_MATCH_SLACK_MS);
  assert.match(late.text, /NO leader\.changed line for kill-leader at 0\.00 s/);
  const same = checkFailovers([{ kind: "pause-leader", at: 900, ms: 600, oldLeader: 2 }], lines);
  assert.equal(same.ok, false);
  // No new leader measured (a majority killed): nothing to match.
  const none = checkFailovers([{ kind: "kill-majority", at: 0, ms: undefined, oldLeader: 1 }], []);
  assert.equal(none.ok, true);
});
