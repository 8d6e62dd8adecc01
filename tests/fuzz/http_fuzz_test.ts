/**
 * Fuzzes the HTTP port of a real node through the runtime's own HTTP server
 * (docs/fuzzing.md): random bytes and random, odd and damaged requests, sent
 * raw on a fresh connection that is then half-closed. Checks: the node
 * answers and closes within bounded time; no answer is a 500 (a handler that
 * threw); the node keeps answering; nothing it stores changes (member routes
 * only ever get non-numeric ids, see http_inputs.ts); memory stays bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { concatBytes } from "../../src/util/bytes.ts";
import { fuzzRun, runCases } from "./fuzz_run.ts";
import { assertMemoryBounded, FuzzNode, type FuzzNodeOptions, memoryNow } from "./fuzz_node.ts";
import { httpInput } from "./http_inputs.ts";

const FILE = "tests/fuzz/http_fuzz_test.ts";
const ANSWER_MS = 5000;
/** Heap and buffers may grow this much over a run (after a full collection): not per case. */

interface Exchange {
  readonly response: Uint8Array;
  /** True when the node closed the connection within the time allowed. */
  readonly closed: boolean;
}

/** Sends `bytes` and our end of the stream, then reads until the node closes (or `ms`). */
function exchange(port: number, bytes: Uint8Array, ms: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: concatBytes(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (c: Uint8Array) => chunks.push(new Uint8Array(c)));
    socket.on("error", () => {}); // a reset counts as a close
    socket.on("close", () => done(true));
  });
}

/** Why the answer is wrong, or undefined. */
function badAnswer(response: Uint8Array): string | undefined {
  if (response.length === 0) return undefined; // closed without a word: allowed for garbage
  const head = new TextDecoder().decode(response.subarray(0, 4096));
  if (!head.startsWith("HTTP/1.")) return `the answer is not HTTP: ${JSON.stringify(head)}`;
  for (const m of head.matchAll(/HTTP\/1\.[01] (\d{3})/g)) {
    if (m[1] === "500") return `500 Internal Server Error: ${JSON.stringify(head.slice(0, 300))}`;
  }
  return undefined;
}

async function fuzzHttp(options: FuzzNodeOptions, defaultCases: number): Promise<void> {
  const run = fuzzRun(defaultCases);
  const node = await FuzzNode.start(options);
  try {
    const credentials = Object.entries(node.auth.http ?? {}).map(([k, v]) => `${k}: ${v}`);
    const before = await node.digest();
    const memory = memoryNow();
    let n = 0, answered = 0;
    await runCases(FILE, run, async (prng, note) => {
      const input = httpInput(prng, credentials);
      note(input);
      const r = await exchange(node.httpPort, input.bytes, ANSWER_MS);
      if (!r.closed) throw new Error(`not answered and closed within ${ANSWER_MS} ms`);
      const bad = badAnswer(r.response);
      if (bad !== undefined) throw new Error(bad);
      if (r.response.length > 0) answered++;
      if (++n % 40 === 0) await node.assertAlive();
    });
    // The harness reaches the app: most requests get an HTTP answer.
    if (run.replay === undefined && n >= 50) assert.ok(answered > n / 4, `${answered} of ${n}`);
    await node.assertAlive();
    assert.equal(await node.digest(), before, `state changed (run seed ${run.seed})`);
    assertMemoryBounded(memory, run.seed);
  } finally {
    await node.close();
  }
}

test("HTTP port fuzz: no crash, hang, 500, state change or unbounded memory", async () => {
  await fuzzHttp({}, 120);
});

test("HTTP port fuzz behind an admin token: half the requests carry it", async () => {
  const auth = { http: { Authorization: "Bearer fuzz-token" } };
  await fuzzHttp({ config: { adminToken: "fuzz-token" }, auth }, 40);
});
