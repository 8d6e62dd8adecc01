/**
 * MULTI / EXEC / DISCARD / WATCH on the RESP port, byte for byte: the expected
 * replies were recorded from redis-server 7.0.15 given the same input (only
 * HELLO's own reply, which names the server, is left out).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { startServer } from "./resp_test_client.ts";
import { REDIS_WATCHED_KEYS_MAX } from "../../../src/limits.ts";

const platform = getPlatform();

/** Sends `input` and collects replies until `done(text)` holds (or 5 s pass). */
async function exchange(port: number, input: string, done: (t: string) => boolean) {
  const conn: Conn = await platform.net.connect("127.0.0.1", port);
  let text = "";
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    conn.setHandlers({
      onData: (c) => {
        text += fromUtf8(c);
        if (done(text)) {
          clearTimeout(timer);
          resolve();
        }
      },
      onClose: () => resolve(),
    });
    conn.write(utf8(input.replace(/\n/g, "\r\n")));
  });
  conn.close();
  return text;
}

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const { server } = await startServer();
  try {
    await fn(server.port);
  } finally {
    await server.close();
  }
}

test("RESP transactions: nesting, queue-time errors, EXECABORT, WATCH conflicts, as Redis 7", async () => {
  await withServer(async (port) => {
    const input = "MULTI\nMULTI\nSET a 1\nGET\nNOPE x\nEXEC\nEXEC\nDISCARD\nMULTI\nWATCH a\n" +
      "EXEC\nMULTI\nEXEC\nWATCH a\nSET a 2\nMULTI\nGET a\nEXEC\nGET a\n";
    const want = "+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n" +
      "-ERR wrong number of arguments for 'get' command\r\n" +
      "-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n" +
      "-EXECABORT Transaction discarded because of previous errors.\r\n" +
      "-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n" +
      "-ERR WATCH inside MULTI is not allowed\r\n*0\r\n+OK\r\n*0\r\n+OK\r\n+OK\r\n+OK\r\n" +
      "+QUEUED\r\n*-1\r\n$1\r\n2\r\n";
    assert.equal(await exchange(port, input, (t) => t.length >= want.length), want);
  });
});

test("RESP transactions: a null EXEC is `_` in RESP3; a block applies as one", async () => {
  await withServer(async (port) => {
    const input = "HELLO 3\nWATCH a\nSET a 3\nMULTI\nGET a\nEXEC\n" +
      "MULTI\nSET x 1\nINCR x\nSELECT 2\nSET x 10\nEXEC\nGET x\nSELECT 0\nGET x\n";
    const tail = "+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n_\r\n" +
      "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:2\r\n+OK\r\n+OK\r\n" +
      "$2\r\n10\r\n+OK\r\n$1\r\n2\r\n";
    const text = await exchange(port, input, (t) => t.endsWith(tail));
    assert.ok(text.endsWith(tail), JSON.stringify(text));
  });
});

test("CLIENT REPLY OFF/SKIP silence replies but not pub/sub, as Redis 7.0", async () => {
  await withServer(async (port) => {
    const input = "CLIENT REPLY OFF\nSET a 1\nGET a\nCLIENT REPLY ON\nGET a\nCLIENT REPLY SKIP\n" +
      "PING\nPING x\nCLIENT REPLY FOO\nCLIENT REPLY OFF\nSUBSCRIBE ch\n";
    // redis-server 7.0.15's bytes for the same input.
    const want = "+OK\r\n$1\r\n1\r\n$1\r\nx\r\n-ERR syntax error\r\n" +
      "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
    assert.equal(await exchange(port, input, (t) => t.length >= want.length), want);
  });
});

test("RESP transactions: REDIS_WATCHED_KEYS_MAX refuses a WATCH past it, as documented", async () => {
  await withServer(async (port) => {
    const keys = Array.from({ length: REDIS_WATCHED_KEYS_MAX + 1 }, (_, i) => `k${i}`);
    // One RESP array (an inline line this long is over RESP_LINE_BYTES_MAX).
    const watch = [
      `*${keys.length + 1}`,
      "$5",
      "WATCH",
      ...keys.flatMap((k) => [`$${k.length}`, k]),
    ];
    const refused = `-ERR more than ${REDIS_WATCHED_KEYS_MAX} watched keys\r\n`;
    const text = await exchange(port, watch.join("\n") + "\nPING\n", (t) => t.endsWith("PONG\r\n"));
    assert.equal(text, refused + "+PONG\r\n");
  });
});
