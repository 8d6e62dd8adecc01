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
