/**
 * The 1M-key run of regions_scenario.ts (`deno task e2e:regions`): three nodes loaded with up to
 * 1,000,000 keys (every one written) split into at least 8 regions (an 8 MiB split size), leaders spread over all
 * three; two nodes join under writes; a node killed past `--replace-timeout` is replaced. Prints
 * each phase's time. Not part of the test suite (minutes, not seconds). With
 * `TINYKV_E2E_LOG_DIR=DIR` every node's log is kept there, whether the run passed or not.
 */
import process from "node:process";
import { runRegionsScenario } from "./regions_scenario.ts";

const keys = Number(process.argv[2] ?? 1_000_000);
const t0 = Date.now();
await runRegionsScenario({
  keys,
  regions: 8,
  loadAll: true,
  splitBytes: 8 * 1024 * 1024,
  valueBytes: 64,
  settleMs: 900_000,
  replaceTimeoutS: 20,
  log: (line) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`),
});
console.log(`regions e2e (${keys} keys): passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
