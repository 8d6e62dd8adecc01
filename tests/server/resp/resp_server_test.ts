/**
 * The RESP port over real sockets, against a state machine without Raft:
 * command semantics, pipelining order, limits and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { RespServer } from "../../../src/server/resp/resp_server.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../local_kv_service.ts";

const platform = getPlatform();

async function start() {
  const service = await LocalKvService.open();
  const server = await RespServer.start({
    net: platform.net,
    clock: platform.clock,
    hostname: "127.0.0.1",
    port: 0,
    service,
    connectionsMax: 4,
  });
  return { server, service };
}

/** Sends raw bytes and collects the reply text until `done(text)` or the socket closes. */
async function raw(port: number, input: string | Uint8Array, done: (t: string) => boolean) {
  const conn: Conn = await platform.net.connect("127.0.0.1", port);
  let text = "";
  let closed = false;
  await new Promise<void>((resolve) => {
    conn.setHandlers({
      onData: (c) => {
        text += fromUtf8(c);
        if (done(text)) resolve();
      },
      onClose: () => {
        closed = true;
        resolve();
      },
    });
    conn.write(typeof input === "string" ? utf8(input) : input);
  });
  conn.close();
  return { text, closed };
}

function cmd(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`;
}

test("RESP: a pipelined mix of writes and reads replies in order with Redis semantics", async () => {
  const { server } = await start();
  try {
    const input = [
      cmd("SET", "k", "v1"),
      cmd("GET", "k"),
      cmd("SET", "k", "v2", "NX"),
      cmd("SET", "k", "v3", "XX", "GET"),
      cmd("INCR", "n"),
      cmd("INCRBY", "n", "41"),
      cmd("DECR", "n"),
      cmd("MSET", "a", "1", "b", "2"),
      cmd("MGET", "a", "b", "nope"),
      cmd("EXISTS", "a", "b", "nope", "a"),
      cmd("DEL", "a", "nope"),
      cmd("DBSIZE"),
      cmd("GET", "k"),
      "PING\r\n",
    ].join("");
    const want = "+OK\r\n$2\r\nv1\r\n$-1\r\n$2\r\nv1\r\n:1\r\n:42\r\n:41\r\n+OK\r\n" +
      "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n:3\r\n:1\r\n:3\r\n$2\r\nv3\r\n+PONG\r\n";
    const { text } = await raw(server.port, input, (t) => t.length >= want.length);
    assert.equal(text, want);
  } finally {
    await server.close();
  }
});

test("RESP: errors are typed replies and the connection keeps serving", async () => {
  const { server } = await start();
  try {
    const input = [
      cmd("FLY", "me", "to"),
      cmd("GET"),
      cmd("SET", "s", "abc"),
      cmd("INCR", "s"),
      cmd("SET", "k", "v", "EX", "0"),
      cmd("SELECT", "16"),
      cmd("SCAN", "999"),
      cmd("ECHO", "still here"),
    ].join("");
    const { text } = await raw(server.port, input, (t) => t.includes("still here"));
    const lines = text.split("\r\n").filter((l) => l.startsWith("-") || l.startsWith("+"));
    assert.match(lines[0], /^-ERR unknown command 'FLY', with args beginning with: 'me' 'to'/);
    assert.match(lines[1], /^-ERR wrong number of arguments for 'get' command/);
    assert.equal(lines[2], "+OK");
    assert.match(lines[3], /^-ERR value is not an integer or out of range/);
    assert.equal(lines[4], "-ERR invalid expire time in 'set' command");
    assert.match(lines[5], /^-ERR DB index is out of range/);
    assert.match(lines[6], /^-ERR invalid cursor/);
  } finally {
    await server.close();
  }
});

test("RESP: garbage and oversized frames get a protocol error and a closed connection", async () => {
  const { server, service } = await start();
  try {
    for (const bad of ["*1\r\n$99999999999\r\n", "*x\r\n", `*1\r\n$${2 ** 30}\r\n`]) {
      const { text, closed } = await raw(server.port, bad, () => false);
      assert.match(text, /^-ERR Protocol error/);
      assert.ok(closed, "the server closed the connection");
    }
    assert.equal(service.kv.appliedIndex, 0, "nothing was written");
    const { text } = await raw(server.port, cmd("PING"), (t) => t.includes("PONG"));
    assert.equal(text, "+PONG\r\n", "the server still serves new connections");
  } finally {
    await server.close();
  }
});

test("RESP: SCAN pages with numeric cursors and MATCH globs; KEYS globs", async () => {
  const { server } = await start();
  try {
    const sets = Array.from({ length: 25 }, (_, i) => cmd("SET", `user:${i}`, "x")).join("");
    await raw(server.port, sets + cmd("SET", "other", "y"), (t) => t.split("+OK").length > 26);
    const seen: string[] = [];
    let cursor = "0";
    for (let i = 0; i < 20; i++) {
      const { text } = await raw(
        server.port,
        cmd("SCAN", cursor, "MATCH", "user:*", "COUNT", "7"),
        (t) =>
          /\*2\r\n\$\d+\r\n\d+\r\n\*(\d+)\r\n/.test(t) && t.endsWith("\r\n") &&
          t.split("user:").length - 1 === Number(/\*2\r\n\$\d+\r\n\d+\r\n\*(\d+)/.exec(t)?.[1]),
      );
      const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(text);
      cursor = m?.[1] ?? "0";
      seen.push(...[...text.matchAll(/user:\d+/g)].map((x) => x[0]));
      if (cursor === "0") break;
    }
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
    const { text } = await raw(server.port, cmd("KEYS", "oth*"), (t) => t.includes("other"));
    assert.equal(text, "*1\r\n$5\r\nother\r\n");
    const glob = await raw(server.port, cmd("KEYS", "u?er:2[0-1]"), (t) => t.includes("user:21"));
    assert.equal(glob.text, "*2\r\n$7\r\nuser:20\r\n$7\r\nuser:21\r\n");
  } finally {
    await server.close();
  }
});

test("RESP: connections over the limit are refused with an error", async () => {
  const { server } = await start();
  const held: Conn[] = [];
  try {
    for (let i = 0; i < 4; i++) held.push(await platform.net.connect("127.0.0.1", server.port));
    await new Promise((r) => setTimeout(r, 50));
    const { text, closed } = await raw(server.port, cmd("PING"), () => false);
    assert.match(text, /max number of clients/);
    assert.ok(closed);
    assert.equal(server.refusedConnections, 1);
  } finally {
    held.forEach((c) => c.close());
    await server.close();
  }
});

test("RESP: redis-cli works against the port (HELLO, SET, GET, INCR, DBSIZE, --scan)", async () => {
  let hasCli = true;
  try {
    execFileSync("redis-cli", ["--version"], { stdio: "pipe" });
  } catch {
    hasCli = false;
  }
  if (!hasCli) return; // redis-tools not installed: covered by the e2e suite's setup
  const { server } = await start();
  try {
    const cli = (...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        import("node:child_process").then(({ execFile }) =>
          execFile("redis-cli", ["-p", String(server.port), ...args], (err, out) =>
            err ? reject(err) : resolve(out.trim()))
        );
      });
    assert.equal(await cli("SET", "greeting", "hello world"), "OK");
    assert.equal(await cli("GET", "greeting"), "hello world");
    assert.equal(await cli("INCRBY", "n", "5"), "5");
    assert.equal(await cli("DBSIZE"), "2");
    assert.equal(await cli("-3", "SET", "r3", "x"), "OK");
    assert.deepEqual((await cli("--scan", "--pattern", "gr*")).split("\n"), ["greeting"]);
    assert.equal(await cli("GET", "missing"), "");
  } finally {
    await server.close();
  }
});

test("RESP: HELLO 3 switches to RESP3 (maps, nulls), keeps AUTH/SETNAME; HELLO 4 is NOPROTO", async () => {
  const { server } = await start();
  try {
    const input = cmd("HELLO", "3", "AUTH", "default", "p", "SETNAME", "app") +
      cmd("CLIENT", "GETNAME") +
      cmd("GET", "missing") + cmd("HELLO", "4");
    const { text } = await raw(server.port, input, (t) => t.includes("NOPROTO"));
    assert.match(text, /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
    assert.match(text, /\$5\r\nproto\r\n:3\r\n/);
    assert.match(text, /\$3\r\napp\r\n_\r\n-NOPROTO unsupported protocol version\r\n$/);
  } finally {
    await server.close();
  }
});
