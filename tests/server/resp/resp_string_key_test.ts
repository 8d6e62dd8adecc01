/**
 * The string and key commands over a real RESP socket (a RespServer on a
 * state machine without Raft): MULTI/EXEC with TTLs, SELECT inside a block,
 * COPY to another database, binary replies. The expected bytes are what
 * redis-server 7.0.15 answered to the same input (after FLUSHALL).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { startServer } from "./resp_test_client.ts";

const platform = getPlatform();

function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

/** Sends `input` and collects the reply bytes (one char per byte) until `length` arrived. */
async function exchange(port: number, input: string, length: number): Promise<string> {
  const conn: Conn = await platform.net.connect("127.0.0.1", port);
  let text = "";
  await new Promise<void>((resolve) => {
    conn.setHandlers({
      onData: (c) => {
        text += String.fromCharCode(...c);
        if (text.length >= length) resolve();
      },
      onClose: () => resolve(),
    });
    conn.write(utf8(input));
  });
  conn.close();
  return text;
}

test("RESP: string and key commands with TTLs in MULTI answer as redis-server 7.0", async () => {
  const { server } = await startServer({ connectionsMax: 4 });
  try {
    const input = [
      cmd("MULTI"),
      cmd("SET", "k", "v", "EX", "100"),
      cmd("TTL", "k"),
      cmd("GETEX", "k", "PERSIST"),
      cmd("TTL", "k"),
      cmd("INCRBYFLOAT", "f", "0.1"),
      cmd("INCRBYFLOAT", "f", "0.2"),
      cmd("COPY", "k", "k2", "DB", "3"),
      cmd("SELECT", "3"),
      cmd("SETEX", "k2", "0", "x"),
      cmd("GET", "k2"),
      cmd("EXEC"),
      cmd("PEXPIRE", "k2", "50000"),
      cmd("TTL", "k2"),
      cmd("SELECT", "0"),
      cmd("RENAME", "k", "k3"),
      cmd("OBJECT", "ENCODING", "k3"),
      cmd("SETRANGE", "k3", "3", "xyz"),
      cmd("GETRANGE", "k3", "0", "-1"),
      cmd("EXPIRE", "k3", "10", "NX", "XX"),
      cmd("EXPIRE", "k3", "10", "NX"),
      cmd("TTL", "k3"),
      cmd("GETDEL", "k3"),
      cmd("TTL", "k3"),
      cmd("SUBSTR", "f", "0", "0"),
      cmd("TOUCH", "f", "k3"),
    ].join("");
    const want = "+OK\r\n" + "+QUEUED\r\n".repeat(10) +
      "*10\r\n+OK\r\n:100\r\n$1\r\nv\r\n:-1\r\n$3\r\n0.1\r\n$3\r\n0.3\r\n:1\r\n+OK\r\n" +
      "-ERR invalid expire time in 'setex' command\r\n$1\r\nv\r\n" +
      ":1\r\n:50\r\n+OK\r\n+OK\r\n$6\r\nembstr\r\n:6\r\n$6\r\nv\u0000\u0000xyz\r\n" +
      "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n" +
      ":1\r\n:10\r\n$6\r\nv\u0000\u0000xyz\r\n:-2\r\n$1\r\n0\r\n:1\r\n";
    assert.equal(await exchange(server.port, input, want.length), want);
  } finally {
    await server.close();
  }
});
