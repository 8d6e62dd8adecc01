/**
 * COMMAND (INFO, COUNT, DOCS, LIST) and WAIT on the RESP port. Entries have
 * the shape and values redis-server 7.0.15 gives for the same commands
 * (checked byte for byte for ECHO and the errors below); WAIT counts the
 * followers whose Raft match index reached the connection's writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KvService } from "../../../src/server/kv_service.ts";
import type { MemberStatus, NodeStatus } from "../../../src/server/node/status_types.ts";
import type { LocalKvService } from "../local_kv_service.ts";
import { bulk, err, platform, RawClient, startServer } from "./resp_test_client.ts";

test("COMMAND INFO / LIST / COUNT / DOCS: Redis's entry shape; errors as Redis", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    assert.equal(
      await c.one("COMMAND", "INFO", "echo", "nosuch"),
      "*2\r\n*10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n" +
        "*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n$-1\r\n",
    );
    assert.equal(
      await c.one("COMMAND", "INFO", "ping"),
      "*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n" +
        "*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n" +
        "$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n",
    );
    const get = await c.one("COMMAND", "INFO", "GET");
    assert.match(
      get,
      /^\*1\r\n\*10\r\n\$3\r\nget\r\n:2\r\n\*2\r\n\+readonly\r\n\+fast\r\n:1\r\n:1\r\n:1\r\n/,
    );
    // Redis's category order (its category bits): @read before @string.
    assert.match(get, /:1\r\n\*3\r\n\+@read\r\n\+@string\r\n\+@fast\r\n\*0\r\n/);
    assert.match(get, /\$12\r\nbegin_search\r\n.*\$5\r\nindex\r\n:1\r\n/s);
    const count = Number((await c.one("COMMAND", "COUNT")).slice(1, -2));
    const all = await c.one("COMMAND");
    assert.equal(all.split("\r\n")[0], `*${count}`);
    const list = await c.one("COMMAND", "LIST");
    for (const name of ["get", "set", "config", "config|get", "client|list", "wait", "info"]) {
      assert.ok(list.includes(`\r\n${name}\r\n`), name);
    }
    assert.equal(
      await c.one("COMMAND", "LIST", "FILTERBY", "PATTERN", "ech*"),
      `*1\r\n${bulk("echo")}`,
    );
    assert.equal(await c.one("COMMAND", "LIST", "foo"), err("ERR syntax error"));
    assert.equal(
      await c.one("COMMAND", "foo"),
      err("ERR unknown subcommand 'foo'. Try COMMAND HELP."),
    );
    assert.equal(await c.one("COMMAND", "DOCS", "nosuch"), "*0\r\n");
    const docs = await c.one("COMMAND", "DOCS", "get");
    assert.match(docs, /^\*2\r\n\$3\r\nget\r\n\*8\r\n\$7\r\nsummary\r\n/);
    // From "since" on, byte for byte what redis-server 7.0 answers (it adds "complexity").
    assert.ok(
      docs.endsWith(
        "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n" +
          "$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n" +
          "$14\r\nkey_spec_index\r\n:0\r\n",
      ),
      docs,
    );
    const set = await c.one("COMMAND", "DOCS", "set");
    assert.ok(
      set.includes(
        "*8\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n" +
          "$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n" +
          "*6\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n",
      ),
      set,
    );
    const configDocs = await c.one("COMMAND", "DOCS", "config");
    assert.match(configDocs, /\$11\r\nsubcommands\r\n\*10\r\n\$10\r\nconfig\|get\r\n/);
  } finally {
    c.close();
    await server.close();
  }
});

/** LocalKvService as a leader (or follower) with two followers at given match indexes. */
function withFollowers(match: number[], role: NodeStatus["role"] = "leader") {
  return (local: LocalKvService): KvService => {
    const status = (): NodeStatus => {
      const s = local.status();
      const members: MemberStatus[] = [
        { id: 1, address: "127.0.0.1:7001", learner: false },
        ...match.map((m, i) => ({
          id: i + 2,
          address: `127.0.0.1:${7002 + i}`,
          learner: false,
          ...(role === "leader" ? { matchIndex: m } : {}),
        })),
      ];
      return { ...s, role, leader: role === "leader" ? 1 : 2, members };
    };
    return new Proxy(local, {
      get: (t, p) => p === "status" ? status : Reflect.get(t, p, t).bind?.(t) ?? Reflect.get(t, p),
    });
  };
}

test("WAIT counts followers whose match index reached the connection's write", async () => {
  const match = [0, 0];
  const { server, local } = await startServer({ wrap: withFollowers(match) });
  const c = await RawClient.connect(server.port);
  try {
    assert.equal(await c.one("WAIT", "0", "0"), ":2\r\n", "no write yet: every replica has it");
    assert.equal(await c.one("SET", "k", "v"), "+OK\r\n");
    const written = local.status().appliedIndex;
    match[0] = written;
    assert.equal(await c.one("WAIT", "1", "0"), ":1\r\n");
    assert.equal(await c.one("WAIT", "2", "30"), ":1\r\n", "the timeout ends the wait");
    const waiting = c.one("WAIT", "2", "0");
    // The second follower catches up only later: WAIT must block until then.
    platform.clock.setTimeout(() => match[1] = written, 20);
    assert.equal(await waiting, ":2\r\n");
    assert.match(
      await c.one("INFO", "replication"),
      new RegExp(`slave0:ip=127\\.0\\.0\\.1,port=7002,state=online,offset=${written},lag=0\r\n`),
    );
    assert.deepEqual(await c.send(["WAIT", "x", "0"], ["WAIT", "0", "x"], ["WAIT", "0", "-1"]), [
      err("ERR value is not an integer or out of range"),
      err("ERR timeout is not an integer or out of range"),
      err("ERR timeout is negative"),
    ]);
  } finally {
    c.close();
    await server.close();
  }
});

test("WAIT on a follower is refused: only the leader knows its followers' progress", async () => {
  const { server } = await startServer({ wrap: withFollowers([0, 0], "follower") });
  const c = await RawClient.connect(server.port);
  try {
    assert.match(await c.one("WAIT", "1", "0"), /^-ERR WAIT can only be sent to the leader/);
    assert.match(await c.one("INFO", "replication"), /^\$\d+\r\n# Replication\r\nrole:slave\r\n/);
  } finally {
    c.close();
    await server.close();
  }
});

test("ROLE: the leader is a master with its followers' offsets; a follower a slave of it", async () => {
  const { server, local } = await startServer({ wrap: withFollowers([3, 5]) });
  const c = await RawClient.connect(server.port);
  try {
    const commit = local.status().commitIndex;
    const replica = (port: number, offset: number) =>
      `*3\r\n${bulk("127.0.0.1")}${bulk(String(port))}${bulk(String(offset))}`;
    assert.equal(
      await c.one("ROLE"),
      `*3\r\n${bulk("master")}:${commit}\r\n*2\r\n${replica(7002, 3)}${replica(7003, 5)}`,
    );
  } finally {
    c.close();
    await server.close();
  }
  const f = await startServer({ wrap: withFollowers([0, 0], "follower") });
  const d = await RawClient.connect(f.server.port);
  try {
    const applied = f.local.status().appliedIndex;
    assert.equal(
      await d.one("ROLE"),
      `*5\r\n${bulk("slave")}${bulk("127.0.0.1")}:7002\r\n${bulk("connected")}:${applied}\r\n`,
    );
  } finally {
    d.close();
    await f.server.close();
  }
});
