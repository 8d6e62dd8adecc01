/**
 * Writes of many connections gathered into shared entries (resp_write_batcher.ts, with the
 * platform's afterIo as on a node): over real sockets, each connection's pipelined writes
 * and reads still answer in its own order, pipelines cut at any byte land whole, every write
 * is proposed exactly once, and the values read afterwards are the last ones written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { RespServer } from "../../../src/server/resp/resp_server.ts";
import { writeBatcherOf } from "../../../src/server/resp/resp_write_batcher.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";
import { LocalKvService } from "../local_kv_service.ts";

const platform = getPlatform();

function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

/** Connects, writes `parts` one after another, and collects replies until `lines` lines came. */
async function converse(port: number, parts: Uint8Array[], lines: number): Promise<string[]> {
  const conn: Conn = await platform.net.connect("127.0.0.1", port);
  let text = "";
  const timeout = 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ${lines} reply lines in ${timeout} ms`)),
        timeout,
      );
      conn.setHandlers({
        onData: (c) => {
          text += fromUtf8(c);
          if (text.split("\r\n").length > lines) resolve();
        },
        onClose: () => reject(new Error(`closed after: ${text}`)),
      });
      for (const p of parts) conn.write(p);
    });
  } finally {
    clearTimeout(timer);
    conn.close();
  }
  return text.split("\r\n").slice(0, lines);
}

/** `bytes` cut at `cuts` random places (inside commands too). */
function cutAt(bytes: Uint8Array, cuts: number, draw: (n: number) => number): Uint8Array[] {
  const at = Array.from({ length: cuts }, () => draw(bytes.length)).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) parts.push(bytes.slice(from, to));
    from = Math.max(from, to);
  }
  return parts;
}

test("RESP writes of many connections gathered per turn: each connection's order holds", async () => {
  const service = await LocalKvService.open();
  const server = await RespServer.start({
    net: platform.net,
    clock: platform.clock,
    hostname: "127.0.0.1",
    port: 0,
    service,
    afterIo: platform.afterIo,
  });
  try {
    const prng = createPrng(14);
    const clients = 12, rounds = 25;
    let writes = 0;
    const conversations = Array.from({ length: clients }, (_, c) => {
      // SET c:k r, INCR c:n, GET c:k: each reply depends on the connection's own order.
      const commands: string[] = [];
      const want: string[] = [];
      for (let r = 0; r < rounds; r++) {
        commands.push(cmd("SET", `${c}:k`, `v${r}`), cmd("INCR", `${c}:n`), cmd("GET", `${c}:k`));
        want.push("+OK", `:${r + 1}`, `$${`v${r}`.length}`, `v${r}`);
        writes += 2;
      }
      const parts = cutAt(utf8(commands.join("")), 1 + prng.int(6), (n) => prng.int(n));
      return converse(server.port, parts, want.length).then((got) => ({ got, want }));
    });
    for (const { got, want } of await Promise.all(conversations)) assert.deepEqual(got, want);
    const counts = writeBatcherOf(service).counts;
    assert.equal(counts.alone + counts.batched, writes, "every write proposed exactly once");
    const check = Array.from({ length: clients }, (_, c) => cmd("MGET", `${c}:k`, `${c}:n`));
    const got = await converse(server.port, [utf8(check.join(""))], 5 * clients);
    for (let c = 0; c < clients; c++) {
      const last = `v${rounds - 1}`;
      const n = String(rounds);
      assert.deepEqual(got.slice(5 * c, 5 * c + 5), ["*2", `$${last.length}`, last, `$2`, n]);
    }
  } finally {
    await server.close();
  }
});

test("platform afterIo: runs after the microtasks of its turn", async () => {
  const afterIo = platform.afterIo;
  assert.ok(afterIo !== undefined, "the real runtimes provide afterIo");
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    afterIo(() => {
      order.push("afterIo");
      resolve();
    });
    queueMicrotask(() => order.push("microtask"));
    order.push("sync");
  });
  assert.deepEqual(order, ["sync", "microtask", "afterIo"]);
});
