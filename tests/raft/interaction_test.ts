/**
 * Data-driven interaction tests (etcd-io/raft style): every file in
 * tests/raft/testdata is a script of commands with expected traces.
 * Regenerate the traces with `TINYKV_REWRITE=1 deno test -A tests/raft/interaction_test.ts`
 * (or `deno task test:raft --rewrite`) and review the diff like code.
 */
import { test } from "node:test";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runFile } from "./datadriven.ts";
import { InteractionEnv } from "./interaction_env.ts";

const dir = fileURLToPath(new URL("./testdata/", import.meta.url));

for (const name of readdirSync(dir).filter((f) => f.endsWith(".txt")).sort()) {
  test(`interaction: ${name}`, () => {
    const env = new InteractionEnv();
    runFile(dir + name, (cmd) => env.handle(cmd));
  });
}
