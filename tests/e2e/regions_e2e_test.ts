/**
 * Placement end to end on the compiled binary, small (regions_scenario.ts): three nodes split
 * into at least 8 regions with leaders on all three; two nodes join under writes and take
 * regions; a node killed past `--replace-timeout` has its replicas replaced; every acknowledged
 * write reads back. The 1M-key run: `deno task e2e:regions`.
 */
import { test } from "node:test";
import { getPlatform } from "../../src/platform/detect.ts";
import { runRegionsScenario } from "./regions_scenario.ts";

/**
 * The nodes are the compiled binary under either test runner, so the default run (which runs
 * every file under Deno and again under Bun) runs this minutes-long scenario once, under Deno;
 * `TINYKV_E2E_BOTH=1 bun test FILE` runs it under Bun.
 */
const SKIP_UNDER_BUN = getPlatform().runtime === "bun" && process.env.TINYKV_E2E_BOTH !== "1"
  ? "run under deno test (the nodes are the same binary)"
  : false;

test("regions e2e: split, leaders balanced, nodes added under writes, a dead node replaced", {
  timeout: 600_000,
  skip: SKIP_UNDER_BUN,
}, async () => {
  await runRegionsScenario({
    keys: 40_000,
    regions: 8,
    splitBytes: 64 * 1024,
    valueBytes: 64,
    settleMs: 120_000,
    log: (line) => console.log(`regions e2e: ${line}`),
  });
});
