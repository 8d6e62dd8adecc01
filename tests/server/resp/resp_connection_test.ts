/**
 * CLIENT, AUTH, HELLO options, RESET, TIME/LASTSAVE/SAVE/BGSAVE, DEBUG,
 * OBJECT on the RESP port. Every error text and reply asserted here that
 * Redis also gives was checked byte for byte against redis-server 7.0.15
 * (CLIENT SETINFO and NO-TOUCH, which 7.0 lacks, against Redis 7.2's source
 * texts); TinyKV's own values are documented in docs/resp.md.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bulk, err, RawClient, startServer } from "./resp_test_client.ts";

const OK = "+OK\r\n";

test("CLIENT: SETNAME validation, GETNAME, NO-EVICT, KILL and LIST errors as Redis", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(
      ["CLIENT", "SETNAME", "a b"],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "SETNAME", "app"],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "SETNAME", ""],
      ["CLIENT", "GETNAME"],
      ["CLIENT", "NO-EVICT", "maybe"],
      ["CLIENT", "NO-EVICT", "on"],
      ["CLIENT", "KILL", "1.2.3.4:5"],
      ["CLIENT", "KILL", "ID", "x"],
      ["CLIENT", "KILL", "ID", "99999"],
      ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "maybe"],
      ["CLIENT", "LIST", "TYPE", "foo"],
      ["CLIENT", "LIST", "ID", "x"],
      ["CLIENT", "LIST", "ID", "0"],
      ["CLIENT", "KILL", "ID", "01"],
      ["CLIENT", "LIST", "TYPE", "pubsub"],
      ["CLIENT", "foo"],
      ["CLIENT", "SETNAME"],
    );
    assert.deepEqual(replies, [
      err("ERR Client names cannot contain spaces, newlines or special characters."),
      "$-1\r\n",
      OK,
      bulk("app"),
      OK,
      "$-1\r\n",
      err("ERR syntax error"),
      OK,
      err("ERR No such client"),
      err("ERR client-id should be greater than 0"),
      ":0\r\n",
      err("ERR syntax error"),
      err("ERR Unknown client type 'foo'"),
      err("ERR Invalid client ID"),
      bulk(""),
      err("ERR client-id should be greater than 0"),
      bulk(""),
      err("ERR unknown subcommand 'foo'. Try CLIENT HELP."),
      err("ERR wrong number of arguments for 'client|setname' command"),
    ]);
  } finally {
    c.close();
    await server.close();
  }
});

test("CLIENT SETINFO validates as Redis 7.2; CLIENT LIST/INFO carry Redis's fields", async () => {
  const { server } = await startServer();
  const a = await RawClient.connect(server.port);
  const b = await RawClient.connect(server.port);
  try {
    assert.deepEqual(
      await a.send(
        ["CLIENT", "SETINFO", "lib-name", "a b"],
        ["CLIENT", "SETINFO", "LIB-VER", "1\n2"],
        ["CLIENT", "SETINFO", "foo", "x"],
        ["CLIENT", "SETINFO", "lib-name", "ioredis"],
        ["CLIENT", "SETINFO", "lib-ver", "5.4.1"],
        ["CLIENT", "SETNAME", "worker"],
        ["CLIENT", "NO-TOUCH", "on"],
        ["SELECT", "2"],
        ["NO SUCH\nCOMMAND"],
        ["CLIENT", "bad sub"],
      ),
      [
        err("ERR lib-name cannot contain spaces, newlines or special characters."),
        err("ERR LIB-VER cannot contain spaces, newlines or special characters."),
        err("ERR Unrecognized option 'foo'"),
        OK,
        OK,
        OK,
        OK,
        OK,
        err("ERR unknown command 'NO SUCH COMMAND', with args beginning with: "),
        err("ERR unknown subcommand 'bad sub'. Try CLIENT HELP."),
      ],
    );
    const [idA, idB] = [await a.one("CLIENT", "ID"), await b.one("CLIENT", "ID")];
    await a.one("CLIENT", "bad sub");
    // An unknown subcommand shows as its container, never with what was typed.
    assert.match(await b.one("CLIENT", "LIST"), / cmd=client user=/);
    const info = await a.one("CLIENT", "INFO");
    const line = info.split("\r\n")[1];
    const fields = line.split(" ").map((f) => f.slice(0, f.indexOf("=")));
    assert.deepEqual(fields, [
      "id",
      "addr",
      "laddr",
      "fd",
      "name",
      "age",
      "idle",
      "flags",
      "db",
      "sub",
      "psub",
      "ssub",
      "multi",
      "qbuf",
      "qbuf-free",
      "argv-mem",
      "multi-mem",
      "rbs",
      "rbp",
      "obl",
      "oll",
      "omem",
      "tot-mem",
      "events",
      "cmd",
      "user",
      "redir",
      "resp",
      "lib-name",
      "lib-ver",
    ]); // deno-fmt-ignore
    assert.match(line, new RegExp(`^id=${idA.slice(1, -2)} addr=127\\.0\\.0\\.1:\\d+ `));
    assert.match(line, / name=worker .* flags=T db=2 .* cmd=client\|info user=default /);
    assert.match(line, / resp=2 lib-name=ioredis lib-ver=5\.4\.1\n$/);
    const list = await b.one("CLIENT", "LIST");
    assert.equal(list.split("\n").filter((l) => l.startsWith("id=")).length, 2);
    assert.match(list, new RegExp(`\\nid=${idB.slice(1, -2)} .* name= `));
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

test("CLIENT KILL ID closes another connection; the old form can close this one after OK", async () => {
  const { server } = await startServer();
  const a = await RawClient.connect(server.port);
  const b = await RawClient.connect(server.port);
  try {
    const idB = (await b.one("CLIENT", "ID")).slice(1, -2);
    assert.equal(await a.one("CLIENT", "KILL", "ID", idB), ":1\r\n");
    assert.deepEqual(await b.send(["PING"]), [], "the killed connection answers nothing");
    assert.equal(b.closed, true);
    const idA = (await a.one("CLIENT", "ID")).slice(1, -2);
    assert.equal(await a.one("CLIENT", "KILL", "ID", idA), ":0\r\n", "SKIPME yes by default");
    const line = (await a.one("CLIENT", "INFO")).split("\r\n")[1];
    const addr = / addr=(\S+) /.exec(line)?.[1] ?? "";
    assert.equal(await a.one("CLIENT", "KILL", addr), OK);
    assert.deepEqual(await a.send(["PING"]), []);
    assert.equal(server.connections, 0);
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

test("AUTH and HELLO AUTH answer as Redis with no password; HELLO option errors", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const wrongpass = err("WRONGPASS invalid username-password pair or user is disabled.");
    assert.deepEqual(
      await c.send(
        ["AUTH", "x"],
        ["AUTH", "default", "x"],
        ["AUTH", "u", "x"],
        ["AUTH", "a", "b", "c"],
        ["HELLO", "3", "AUTH", "u", "p"],
        ["HELLO", "x"],
        ["HELLO", "2", "AUTH", "default"],
        ["HELLO", "2", "SETNAME", "a b"],
        ["HELLO", "2", "foo"],
      ),
      [
        err(
          "ERR AUTH <password> called without any password configured for the default user. " +
            "Are you sure your configuration is correct?",
        ),
        OK,
        wrongpass,
        err("ERR syntax error"),
        wrongpass,
        err("ERR Protocol version is not an integer or out of range"),
        err("ERR Syntax error in HELLO option 'AUTH'"),
        err("ERR Client names cannot contain spaces, newlines or special characters."),
        err("ERR Syntax error in HELLO option 'foo'"),
      ],
    );
  } finally {
    c.close();
    await server.close();
  }
});

test("RESET leaves MULTI, SELECT, the name and RESP3 behind", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(
      ["SELECT", "3"],
      ["CLIENT", "SETNAME", "n"],
      ["MULTI"],
      ["SET", "k", "v"],
      ["RESET"],
      ["EXEC"],
      ["CLIENT", "GETNAME"],
      ["SET", "k", "v"],
      ["DBSIZE"],
      ["HELLO", "3"],
      ["RESET"],
      ["CLIENT", "GETNAME"],
    );
    assert.deepEqual(replies.slice(0, 9), [
      OK,
      OK,
      OK,
      "+QUEUED\r\n",
      "+RESET\r\n",
      err("ERR EXEC without MULTI"),
      "$-1\r\n",
      OK,
      ":1\r\n",
    ]);
    assert.deepEqual(replies.slice(10), ["+RESET\r\n", "$-1\r\n"], "RESP2 again: $-1, not _");
  } finally {
    c.close();
    await server.close();
  }
});

test("TIME, LASTSAVE, SAVE, BGSAVE, DEBUG SLEEP, OBJECT: replies and errors as Redis", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(
      ["SAVE"],
      ["BGSAVE", "x"],
      ["BGSAVE"],
      ["DEBUG", "SLEEP", "0"],
      ["DEBUG", "foo"],
      ["DEBUG", "SLEEP"],
      ["OBJECT", "foo"],
      ["OBJECT"],
      ["TIME", "x"],
      ["LASTSAVE", "x"],
    );
    assert.deepEqual(replies, [
      OK,
      err("ERR syntax error"),
      "+Background saving started\r\n",
      OK,
      err("ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP."),
      err("ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP."),
      err("ERR unknown subcommand 'foo'. Try OBJECT HELP."),
      err("ERR wrong number of arguments for 'object' command"),
      err("ERR wrong number of arguments for 'time' command"),
      err("ERR wrong number of arguments for 'lastsave' command"),
    ]);
    const time = /^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$/.exec(await c.one("TIME"));
    assert.ok(time !== null);
    const lastsave = Number((await c.one("LASTSAVE")).slice(1, -2));
    const seconds = Number(time[1]);
    assert.ok(Number(time[2]) < 1_000_000);
    // Both read the platform's wall clock: LASTSAVE ("everything is saved") is not before TIME.
    assert.ok(lastsave >= seconds && lastsave - seconds < 3600, `${lastsave} vs ${seconds}`);
  } finally {
    c.close();
    await server.close();
  }
});
