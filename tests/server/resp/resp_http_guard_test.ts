/**
 * The RESP port closes connections that send HTTP (resp_http_guard.ts): the smuggling request of
 * issue 13 changes nothing, and the node logs it once a minute at most.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../../src/util/bytes.ts";
import { RawClient, startServer } from "./resp_test_client.ts";

/** What curl sends for `curl -X POST --data-binary $'\r\nSET pwned yes\r\n' http://HOST:PORT/`. */
const SMUGGLED = "POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nUser-Agent: curl/8.5.0\r\n" +
  "Accept: */*\r\nContent-Length: 17\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
  "\r\n\r\nSET pwned yes\r\n";

/** Waits (bounded) until the server closes the connection; what it sent before, as text. */
async function closedAfter(c: RawClient, input: string): Promise<string[]> {
  c.conn.write(utf8(input));
  const replies = await c.send(); // nothing asked: returns at once
  for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(c.closed, `the port kept the connection open after ${JSON.stringify(input)}`);
  return replies;
}

test("RESP HTTP guard: POST, Host: and an HTTP request line close the connection", async () => {
  const lines: string[] = [];
  const { server } = await startServer({ log: (line) => lines.push(line) });
  try {
    await closedAfter(await RawClient.connect(server.port), SMUGGLED);
    // Whatever the connection sent that has not started yet is dropped with it.
    await closedAfter(await RawClient.connect(server.port), "PING\r\nhost: x\r\nSET b 2\r\n");
    await closedAfter(await RawClient.connect(server.port), "PUT /x HTTP/1.0\r\n\r\nSET c 3\r\n");
    await closedAfter(await RawClient.connect(server.port), "*1\r\n$4\r\npost\r\n");
    const c = await RawClient.connect(server.port);
    // Not the first line: an ordinary (wrong) GET, answered as Redis does.
    const [, wrong] = await c.send(["PING"], ["GET", "/", "HTTP/1.1"]);
    assert.equal(wrong, "-ERR wrong number of arguments for 'get' command\r\n");
    assert.equal(await c.one("EXISTS", "pwned", "b", "c"), ":0\r\n");
    c.close();
    assert.equal(lines.length, 1, "one line a minute at most");
    assert.match(lines[0], /^resp: possible cross-protocol attack: 127\.0\.0\.1:\d+ sent an HTTP/);
  } finally {
    await server.close();
  }
});
