/** `tinykv sim`, run in-process through the CLI's dispatcher. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/main.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { captureHost } from "../../helpers/capture_host.ts";

test("tinykv sim --seeds 2: a line per seed, a summary, exit 0", async () => {
  const host = captureHost();
  const code = await runCli(["sim", "--seeds", "2", "--start", "21"], host, getPlatform);
  assert.equal(code, 0, host.out);
  const lines = host.out.split("\n");
  assert.match(
    lines[0],
    new RegExp(
      String.raw`^seed 21 nodes=[35] ok \| faults .* \| ops ok=\d+ failed=\d+ unknown=\d+ ` +
        String.raw`\| linearizable yes \| revisions ok \(\d+ writes, \d+ reads\) ` +
        String.raw`\| expiry \d+ reads \(\d+ expiring\) \d+ changes \d+ swept ` +
        String.raw`\| redis exec \d+/\d+/\d+ ttl \d+ db1 \d+ ` +
        String.raw`\| watches \d+ \(\d+ events\) leases \d+ ` +
        String.raw`\| bank txn \d+ \(\d+ across\) / \d+ raced / \d+ unknown, ` +
        String.raw`reads \d+ \(\d+ across\), accounts in \d+ regions$`,
    ),
  );
  assert.match(lines[1], /^seed 22 /);
  assert.match(host.out, /^seeds: 2 passed, 0 failed$/m);
  assert.match(host.out, /^faults: /m);
  assert.match(host.out, /^time: .* seeds\/s\)$/m);
});

test("tinykv sim --seed S prints the same output every time", async () => {
  const run = async () => {
    const host = captureHost();
    const argv = ["sim", "--seed", "23", "--nodes", "3", "--faults", "crash-lose,partition"];
    assert.equal(await runCli(argv, host, getPlatform), 0, host.out);
    return host.out;
  };
  const first = await run();
  assert.match(first, /faults=crash-lose,partition|faults=crash-lose|faults=partition/);
  assert.equal(await run(), first);
});

test("tinykv sim refuses a bad node count or fault kind (usage error)", async () => {
  for (const argv of [["sim", "--nodes", "4"], ["sim", "--faults", "meteor"]]) {
    const host = captureHost();
    assert.equal(await runCli(argv, host, getPlatform), 2);
    assert.match(host.err, /^tinykv: /);
  }
});
