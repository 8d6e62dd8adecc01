/**
 * Bad input after good commands in the same packet: the good ones run and are
 * answered first, then the protocol error, then the close (found by the RESP
 * fuzz test, tests/fuzz/; replies checked byte for byte against redis-server 7).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { RawSocket } from "../../fuzz/raw_socket.ts";
import { startServer } from "./resp_test_client.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import type { LocalKvService } from "../local_kv_service.ts";

test("commands before a protocol error in one packet are answered, then the error", async () => {
  const { server, local } = await startServer();
  try {
    const cases: [string, string][] = [
      [
        "PING\r\nSET a 1\r\n*abc\r\nPING\r\n",
        "+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n",
      ],
      [
        "*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n",
        "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
      ],
    ];
    for (const [input, expected] of cases) {
      const c = await RawSocket.open(server.port);
      try {
        c.write(utf8(input));
        assert.ok(await c.until(() => false, 5000), "the connection was not closed");
        assert.equal(c.receivedText(), expected);
      } finally {
        c.close();
      }
    }
    const a = await local.get(utf8("a"), "linearizable");
    assert.equal(fromUtf8(a.state?.value ?? new Uint8Array()), "1");
  } finally {
    await server.close();
  }
});

test("a protocol error waits for the replies of commands still in flight", async () => {
  // Writes take 100 ms to apply: the bad input arrives while SET is in flight.
  const slow = (local: LocalKvService): KvService =>
    new Proxy(local, {
      get: (t, p) => {
        const v = Reflect.get(t, p, t);
        if (p !== "execute" || typeof v !== "function") {
          return typeof v === "function" ? v.bind(t) : v;
        }
        return async (...args: unknown[]) => {
          await new Promise((r) => setTimeout(r, 100));
          return await v.apply(t, args);
        };
      },
    });
  const { server, local } = await startServer({ wrap: slow });
  const c = await RawSocket.open(server.port);
  try {
    c.write(utf8("SET b 2\r\n"));
    await new Promise((r) => setTimeout(r, 20));
    c.write(utf8("*x\r\n"));
    assert.ok(await c.until(() => false, 5000), "the connection was not closed");
    assert.equal(c.receivedText(), "+OK\r\n-ERR Protocol error: invalid multibulk length\r\n");
    const b = await local.get(utf8("b"), "linearizable");
    assert.equal(fromUtf8(b.state?.value ?? new Uint8Array()), "2");
  } finally {
    c.close();
    await server.close();
  }
});
