/**
 * Runs one server of the differential harness for a script (scripts/redis_suite.sh):
 * `deno run -A tests/resp_diff/serve_main.ts redis|tinykv` starts a throwaway redis-server or one
 * TinyKV node from ./tinykv (diff_servers.ts), prints `port N`, and on SIGTERM or SIGINT kills
 * it and exits.
 */
import process from "node:process";
import { type DiffServer, missingTools, startRedis, startTinyKv } from "./diff_servers.ts";

async function main(which: string | undefined): Promise<void> {
  if (which !== "redis" && which !== "tinykv") {
    console.error("usage: serve_main.ts redis|tinykv");
    process.exit(2);
  }
  const missing = missingTools();
  if (missing !== undefined) {
    console.error(`serve_main: ${missing}`);
    process.exit(2);
  }
  const server: DiffServer = which === "redis" ? await startRedis() : await startTinyKv();
  // Keeps the event loop alive until a signal arrives.
  const alive = setInterval(() => {}, 60_000);
  const stop = async () => {
    clearInterval(alive);
    await server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`port ${server.port}`);
}

await main(process.argv[2]);
