/**
 * Leader failover timing: kill -9 the leader `kills` times under write load
 * and measure, per kill, the time to a new leader a majority follows and the
 * time to the first successful write invoked after the kill.
 */
import { createPrng } from "../../src/util/prng.ts";
import { ChaosCluster } from "./chaos_cluster.ts";
import { firstWriteAfter, median } from "./report.ts";
import { Workload } from "./workload.ts";
import { checkFailovers, type MeasuredFailover, raftLines } from "./log_lines.ts";

export interface FailoverOptions {
  readonly nodes: number;
  readonly kills: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/** Failover times above this fail the run (docs/chaos.md). */
export const FAILOVER_MAX_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

export async function runFailover(o: FailoverOptions): Promise<{ ok: boolean; text: string }> {
  const prng = createPrng(o.seed);
  const c = await ChaosCluster.start(o.nodes, [], () => prng.nextFloat());
  const leaderMs: number[] = [];
  const writeMs: number[] = [];
  const measured: MeasuredFailover[] = [];
  let logs = { ok: false, text: "log check: not reached" };
  try {
    if (await c.waitLeader(30_000) === undefined) throw new Error("no leader at startup");
    const t0 = performance.now();
    const wallT0 = Date.now();
    const now = () => performance.now() - t0;
    const w = new Workload(
      c,
      { clients: 4, keys: 6, seed: o.seed, thinkMs: 5, record: false },
      t0,
    );
    w.start();
    for (let i = 0; i < o.kills; i++) {
      const before = await c.waitLeader(15_000);
      if (before === undefined) throw new Error(`no leader before kill ${i + 1}`);
      // Let the restarted node catch up and the write stream settle.
      await sleep(1000);
      const at = now();
      await c.kill(before.id);
      const next = await c.waitLeader(15_000, (l) => l.id !== before.id && l.term > before.term);
      const lm = next === undefined ? Infinity : now() - at;
      await waitFor(() => firstWriteAfter(w, at) !== undefined, 15_000);
      const wm = firstWriteAfter(w, at) ?? Infinity;
      leaderMs.push(lm);
      writeMs.push(wm);
      measured.push({ kind: "kill-leader", at, ms: next && lm, oldLeader: before.id });
      o.log(
        `kill ${i + 1}: leader ${before.id} (term ${before.term}) → ${next?.id ?? "none"}` +
          ` after ${Math.round(lm)} ms, first write after ${Math.round(wm)} ms`,
      );
      c.restart(before.id);
    }
    await w.stop();
    const outputs = new Map([...c.bin.nodes].map(([id, n]) => [id, n.log]));
    logs = checkFailovers(measured, raftLines(outputs, wallT0));
  } finally {
    await c.stop();
  }
  const fmt = (xs: number[]) =>
    `median ${Math.round(median(xs) ?? NaN)} ms, max ${Math.round(Math.max(...xs))} ms`;
  const worst = Math.max(...leaderMs, ...writeMs);
  return {
    ok: worst < FAILOVER_MAX_MS && logs.ok,
    text: `failover over ${o.kills} leader kills (${o.nodes} nodes, seed ${o.seed}):\n` +
      `  time to a new leader:         ${fmt(leaderMs)}\n` +
      `  time to the first write:      ${fmt(writeMs)}\n` +
      `  verdict: ${
        worst < FAILOVER_MAX_MS ? "ok" : "TOO SLOW"
      } (max must be < ${FAILOVER_MAX_MS} ms)\n${logs.text}`,
  };
}
