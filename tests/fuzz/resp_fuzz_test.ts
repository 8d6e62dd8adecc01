/**
 * Fuzzes the RESP port of a real node (docs/fuzzing.md): every known command
 * with random arguments, inline and array forms, damaged framing and random
 * bytes, one connection per case. Checks: an input that holds a command that
 * answers (or bad input) gets an answer or the close in bounded time; the
 * node keeps answering; nothing outside the sandbox database changes;
 * connections are freed; memory stays bounded, also with connections that
 * announce huge bulk strings and never send them.
 *
 * No state change outside the sandbox, by construction: each connection first
 * selects database SANDBOX_DB, where fuzz input may write as it likes, and the
 * input is cut before any command that could reach elsewhere (`planResp`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RESP_BULK_BYTES_MAX } from "../../src/limits.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import { fuzzRun, runCases } from "./fuzz_run.ts";
import {
  assertMemoryBounded,
  FuzzNode,
  memoryNow,
  MiB,
  respCommand,
  SANDBOX_DB,
} from "./fuzz_node.ts";
import { respInput } from "./resp_inputs.ts";
import { planResp } from "./resp_plan.ts";
import { RawSocket } from "./raw_socket.ts";
import { pieceCuts } from "./mutate.ts";

const FILE = "tests/fuzz/resp_fuzz_test.ts";
const ANSWER_MS = 5000;
/** Heap and buffers may grow this much over a run (after a full collection): not per case. */

/** A connection that has authenticated (when the node asks) and selected the sandbox. */
async function sandboxConnection(node: FuzzNode): Promise<RawSocket> {
  const setup = [...(node.auth.resp ?? []), ["SELECT", String(SANDBOX_DB)]];
  const sock = await RawSocket.open(node.respPort);
  sock.write(concatBytes(setup.map((c) => respCommand(...c))));
  const ok = "+OK\r\n".repeat(setup.length);
  if (!await sock.until(() => sock.receivedText() === ok, ANSWER_MS)) {
    throw new Error(`sandbox setup answered ${JSON.stringify(sock.receivedText())}`);
  }
  return sock;
}

test("RESP port fuzz: no crash, hang, state change or unbounded memory", async () => {
  const run = fuzzRun(150);
  const node = await FuzzNode.start();
  try {
    const before = await node.digest(false);
    const connections = await node.openConnections();
    const memory = memoryNow();
    let n = 0, commands = 0;
    await runCases(FILE, run, async (prng, note) => {
      const input = respInput(prng);
      const plan = planResp(input.bytes);
      commands += plan.commands.length;
      const cuts = pieceCuts(prng, plan.bytes.length);
      note({
        label: `${input.label}${cuts.length > 0 ? ` cut at ${cuts}` : ""}`,
        bytes: plan.bytes,
      });
      const sock = await sandboxConnection(node);
      try {
        const setupBytes = sock.receivedBytes;
        await sock.writePieces(plan.bytes, cuts);
        const answered = await sock.until(
          () => sock.receivedBytes > setupBytes,
          plan.expectAnswer ? ANSWER_MS : 5,
        );
        if (plan.expectAnswer && !answered) {
          throw new Error(`no answer and no close within ${ANSWER_MS} ms`);
        }
      } finally {
        sock.close();
      }
      if (++n % 50 === 0) await node.assertAlive();
    });
    // The inputs reach the commands: most cases hold at least one whole command.
    if (run.replay === undefined && n >= 50) assert.ok(commands > n / 2, `${commands} in ${n}`);
    await node.assertAlive();
    assert.equal(await node.digest(false), before, `state changed (run seed ${run.seed})`);
    const after = await node.connectionsSettle(connections);
    assert.ok(
      after.resp <= connections.resp,
      `connections not freed: ${after.resp} (run seed ${run.seed})`,
    );
    assertMemoryBounded(memory, run.seed);
  } finally {
    await node.close();
  }
});

test("RESP port: connections announcing huge bulk strings hold no memory for them", async () => {
  const node = await FuzzNode.start();
  const socks: RawSocket[] = [];
  try {
    const before = memoryNow();
    for (let i = 0; i < 16; i++) {
      const sock = await RawSocket.open(node.respPort);
      sock.write(utf8(`*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$${RESP_BULK_BYTES_MAX - i}\r\nabc`));
      socks.push(sock);
    }
    await node.assertAlive();
    const held = await node.openConnections();
    assert.ok(held.resp >= 16, `only ${held.resp} connections open`);
    const grown = memoryNow().heapAndBuffers - before.heapAndBuffers;
    assert.ok(grown < 32 * MiB, `16 announced bulks hold ${(grown / MiB).toFixed(0)} MiB`);
    assert.ok(socks.every((s) => !s.closed && s.receivedBytes === 0));
  } finally {
    socks.forEach((s) => s.close());
    await node.close();
  }
});
