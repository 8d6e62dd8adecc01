/**
 * Sets over the RESP port: SSCAN (a port command with numeric cursors),
 * RESP2/RESP3 reply types, MULTI/EXEC and WATCH with set commands. The
 * expected replies were checked against redis-server 7.0.15 byte for byte,
 * except for member order (TinyKV answers in byte order; Redis's order is its
 * hash table's, so there the contents were compared) and where a comment says
 * TinyKV differs (docs/resp.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { SCAN_LIMIT_MAX } from "../../../src/limits.ts";
import { startServer } from "./resp_test_client.ts";

const platform = getPlatform();

/** The length of the first complete RESP reply in `t`, or -1 when it is not all there. */
function replyEnd(t: string, at = 0): number {
  const eol = t.indexOf("\r\n", at);
  if (eol < 0) return -1;
  const head = t[at], n = Number(t.slice(at + 1, eol));
  if ("+-:_,#".includes(head)) return eol + 2;
  if (head === "$") return n < 0 ? eol + 2 : t.length >= eol + 4 + n ? eol + 4 + n : -1;
  let end = eol + 2;
  for (let i = 0; i < (head === "%" ? 2 * n : Math.max(n, 0)); i++) {
    end = replyEnd(t, end);
    if (end < 0) return -1;
  }
  return end;
}

/** One connection; `send` returns each command's raw reply text, in order. */
async function connect(port: number) {
  const conn: Conn = await platform.net.connect("127.0.0.1", port);
  let text = "";
  let wake = () => {};
  conn.setHandlers({
    onData: (c) => {
      text += fromUtf8(c);
      wake();
    },
    onClose: () => wake(),
  });
  const next = async (): Promise<string> => {
    for (let i = 0; i < 1000; i++) {
      const end = replyEnd(text);
      if (end > 0) {
        const r = text.slice(0, end);
        text = text.slice(end);
        return r;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    throw new Error(`no complete reply in ${JSON.stringify(text)}`);
  };
  const send = async (...args: string[]): Promise<string> => {
    conn.write(
      utf8(`*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`),
    );
    return await next();
  };
  return { send, close: () => conn.close() };
}

async function withServer(body: (port: number) => Promise<void>): Promise<void> {
  const { server } = await startServer({ connectionsMax: 4 });
  try {
    await body(server.port);
  } finally {
    await server.close();
  }
}

/** The cursor and members of an SSCAN reply. */
function scanPage(reply: string): { cursor: string; members: string[] } {
  const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n/.exec(reply);
  assert.ok(m, `an SSCAN reply: ${JSON.stringify(reply)}`);
  const members = reply.slice(m[0].length).split("\r\n").filter((_, i) => i % 2 === 1);
  assert.equal(members.length, Number(m[2]));
  return { cursor: m[1], members };
}

test("RESP sets: SSCAN pages through a set with numeric cursors, MATCH and COUNT", async () => {
  await withServer(async (port) => {
    const c = await connect(port);
    try {
      const users = Array.from({ length: 25 }, (_, i) => `user:${i}`);
      assert.equal(await c.send("SADD", "s", ...users, "admin", "user", "zed"), ":28\r\n");
      const seen: string[] = [];
      let cursor = "0", calls = 0;
      do {
        const page = scanPage(await c.send("SSCAN", "s", cursor, "MATCH", "user:*", "COUNT", "7"));
        assert.ok(page.members.length <= 7, "at most COUNT members per call");
        seen.push(...page.members);
        cursor = page.cursor;
      } while (cursor !== "0" && ++calls < 20);
      assert.deepEqual(seen.sort(), [...users].sort(), "every match once");
      const all = scanPage(await c.send("SSCAN", "s", "0", "COUNT", "100"));
      assert.equal(all.cursor, "0");
      assert.equal(all.members.length, 28);
      const one = scanPage(await c.send("SSCAN", "s", "0", "MATCH", "user", "COUNT", "1"));
      assert.deepEqual(one.members, ["user"], "the pattern's literal prefix is itself a member");
      const glob = scanPage(await c.send("SSCAN", "s", "0", "MATCH", "user:1[0-2]", "COUNT", "99"));
      assert.deepEqual(glob, { cursor: "0", members: ["user:10", "user:11", "user:12"] });
      const capped = scanPage(await c.send("SSCAN", "s", "0", "COUNT", String(SCAN_LIMIT_MAX + 1)));
      assert.equal(capped.members.length, 28);
    } finally {
      c.close();
    }
  });
});

test("RESP sets: SSCAN checks the cursor, then the key, its type, then the options", async () => {
  await withServer(async (port) => {
    const c = await connect(port);
    try {
      await c.send("SADD", "s", "a", "b", "c", "d");
      await c.send("SET", "str", "v");
      await c.send("SADD", "e", "", "a");
      const cases: [string[], string][] = [
        // The empty member is a member, first in byte order (it was skipped).
        [["SSCAN", "e", "0"], "*2\r\n$1\r\n0\r\n*2\r\n$0\r\n\r\n$1\r\na\r\n"],
        [["SSCAN", "e", "0", "MATCH", ""], "*2\r\n$1\r\n0\r\n*1\r\n$0\r\n\r\n"],
        [
          ["SSCAN", "s", "0", "MATCH", "[ab]", "COUNT", "100"],
          "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        ],
        [["SSCAN", "nosuch", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"],
        [["SSCAN", "nosuch", "0", "COUNT", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"],
        [["SSCAN", "s", "abc"], "-ERR invalid cursor\r\n"],
        [["SSCAN", "nosuch", "abc"], "-ERR invalid cursor\r\n"],
        [
          ["SSCAN", "str", "0"],
          "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ],
        [
          ["SSCAN", "str", "0", "COUNT", "0"],
          "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ],
        [["SSCAN", "s", "0", "COUNT", "0"], "-ERR syntax error\r\n"],
        [["SSCAN", "s", "0", "COUNT", "-1"], "-ERR syntax error\r\n"],
        [["SSCAN", "s", "0", "COUNT", "abc"], "-ERR value is not an integer or out of range\r\n"],
        [["SSCAN", "s", "0", "MATCH"], "-ERR syntax error\r\n"],
        [["SSCAN", "s", "0", "TYPE", "string"], "-ERR syntax error\r\n"],
        [["SSCAN", "s"], "-ERR wrong number of arguments for 'sscan' command\r\n"],
        // TinyKV: a number this node never issued is refused (Redis would resume anywhere).
        [["SSCAN", "s", "999"], "-ERR invalid cursor\r\n"],
      ];
      for (const [args, want] of cases) assert.equal(await c.send(...args), want, args.join(" "));
    } finally {
      c.close();
    }
  });
});

test("RESP sets: set replies are RESP3 sets after HELLO 3 and arrays in RESP2", async () => {
  await withServer(async (port) => {
    const c = await connect(port);
    try {
      await c.send("SADD", "s", "b", "a");
      assert.equal(await c.send("SMEMBERS", "s"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
      assert.equal(await c.send("SINTER", "s", "nosuch"), "*0\r\n");
      assert.match(await c.send("HELLO", "3"), /^%7\r\n/);
      assert.equal(await c.send("SMEMBERS", "s"), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
      assert.equal(await c.send("SUNION", "s", "nosuch"), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
      assert.equal(await c.send("SMEMBERS", "nosuch"), "~0\r\n");
      assert.equal(await c.send("SPOP", "nosuch"), "_\r\n");
      assert.equal(await c.send("SPOP", "nosuch", "1"), "~0\r\n");
      assert.equal(await c.send("SPOP", "s", "0"), "~0\r\n");
      assert.equal(await c.send("SRANDMEMBER", "nosuch"), "_\r\n");
      assert.equal(await c.send("SRANDMEMBER", "s", "0"), "*0\r\n");
      assert.match(await c.send("SRANDMEMBER", "s", "-3"), /^\*3\r\n(\$1\r\n[ab]\r\n){3}$/);
      assert.match(await c.send("SPOP", "s", "1"), /^~1\r\n\$1\r\n[ab]\r\n$/);
      assert.equal(await c.send("SMISMEMBER", "s", "zz"), "*1\r\n:0\r\n");
      assert.equal(await c.send("SSCAN", "nosuch", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    } finally {
      c.close();
    }
  });
});

test("RESP sets: MULTI/EXEC and WATCH with set commands", async () => {
  await withServer(async (port) => {
    const c = await connect(port);
    const other = await connect(port);
    try {
      assert.equal(await c.send("SADD", "s", "a", "b"), ":2\r\n");
      assert.equal(await c.send("WATCH", "s"), "+OK\r\n");
      // Adding a member already there changes nothing: the watch holds, as in Redis.
      assert.equal(await other.send("SADD", "s", "a"), ":0\r\n");
      assert.equal(await c.send("MULTI"), "+OK\r\n");
      assert.equal(await c.send("SADD", "s", "c"), "+QUEUED\r\n");
      assert.equal(await c.send("SMOVE", "s", "t", "a"), "+QUEUED\r\n");
      assert.equal(await c.send("SINTERCARD", "2", "s", "t"), "+QUEUED\r\n");
      assert.equal(await c.send("SMEMBERS", "t"), "+QUEUED\r\n");
      assert.equal(await c.send("EXEC"), "*4\r\n:1\r\n:1\r\n:0\r\n*1\r\n$1\r\na\r\n");
      assert.equal(await c.send("WATCH", "s"), "+OK\r\n");
      assert.equal(await other.send("SREM", "s", "b"), ":1\r\n");
      assert.equal(await c.send("MULTI"), "+OK\r\n");
      assert.equal(await c.send("SADD", "s", "d"), "+QUEUED\r\n");
      assert.equal(await c.send("EXEC"), "*-1\r\n", "a removed member aborts the transaction");
      assert.equal(await c.send("SCARD", "s"), ":1\r\n");
      // TinyKV: SSCAN is a port command and cannot be queued (Redis would queue it).
      assert.equal(await c.send("MULTI"), "+OK\r\n");
      assert.equal(
        await c.send("SSCAN", "s", "0"),
        "-ERR 'sscan' cannot run inside MULTI on TinyKV\r\n",
      );
      assert.equal(
        await c.send("EXEC"),
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
      );
    } finally {
      c.close();
      other.close();
    }
  });
});
