/**
 * CONFIG and INFO on the RESP port. Every reply asserted here that Redis also
 * gives was checked byte for byte against redis-server 7.0.15 (started with
 * --save '' --appendonly no); TinyKV's own values (appendonly yes, save "")
 * are documented in docs/resp.md.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bulk, err, RawClient, startServer } from "./resp_test_client.ts";

test("CONFIG GET: globs over names, case-insensitive, several patterns; unknown is empty", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    assert.equal(await c.one("CONFIG", "GET", "save"), `*2\r\n${bulk("save")}${bulk("")}`);
    assert.equal(
      await c.one("CONFIG", "GET", "MAXMEMORY*"),
      `*4\r\n${bulk("maxmemory")}${bulk("0")}${bulk("maxmemory-policy")}${bulk("noeviction")}`,
    );
    assert.equal(
      await c.one("CONFIG", "GET", "databases", "timeout"),
      `*4\r\n${bulk("databases")}${bulk("16")}${bulk("timeout")}${bulk("0")}`,
    );
    assert.equal(await c.one("CONFIG", "GET", "no-such-thing"), "*0\r\n");
    assert.equal(
      await c.one("CONFIG", "GET", "port"),
      `*2\r\n${bulk("port")}${bulk(String(server.port))}`,
    );
    await c.one("HELLO", "3");
    assert.equal(
      await c.one("CONFIG", "GET", "appendonly"),
      `%1\r\n${bulk("appendonly")}${bulk("yes")}`,
    );
    assert.equal(
      await c.one("CONFIG", "GET"),
      err("ERR wrong number of arguments for 'config|get' command"),
    );
  } finally {
    c.close();
    await server.close();
  }
});

test("CONFIG SET / REWRITE / RESETSTAT / unknown subcommand: Redis 7.0's replies", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(
      ["CONFIG", "SET", "foo", "bar"],
      ["CONFIG", "SET", "maxmemory", "1", "maxmemory"],
      ["CONFIG", "SET", "databases", "5"],
      ["CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"],
      ["CONFIG", "SET", "a"],
      ["CONFIG", "REWRITE"],
      ["CONFIG", "RESETSTAT"],
      ["CONFIG", "foo"],
      ["CONFIG"],
      ["CONFIG", "SET", "notify-keyspace-events", ""],
    );
    assert.deepEqual(replies, [
      err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
      err("ERR syntax error"),
      err(
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
      ),
      err("ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"),
      err("ERR wrong number of arguments for 'config|set' command"),
      err("ERR The server is running without a config file"),
      "+OK\r\n",
      err("ERR unknown subcommand 'foo'. Try CONFIG HELP."),
      err("ERR wrong number of arguments for 'config' command"),
      "+OK\r\n",
    ]);
  } finally {
    c.close();
    await server.close();
  }
});

test("CONFIG SET of the encoding thresholds: settable, refused as Redis 7.0 refuses", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(
      ["CONFIG", "SET", "hash-max-ziplist-value", "abc"],
      ["CONFIG", "SET", "hash-max-ziplist-value", "16"],
      ["CONFIG", "GET", "hash-max-listpack-value"],
      ["CONFIG", "SET", "set-max-intset-entries", "-1"],
      ["CONFIG", "SET", "set-max-intset-entries", "x"],
    );
    const failed = (name: string, why: string) =>
      err(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    assert.deepEqual(replies, [
      failed("hash-max-ziplist-value", "argument must be a memory value"),
      "+OK\r\n",
      "*2\r\n$23\r\nhash-max-listpack-value\r\n$2\r\n16\r\n",
      failed(
        "set-max-intset-entries",
        "argument must be between 0 and 9223372036854775807 inclusive",
      ),
      failed("set-max-intset-entries", "argument couldn't be parsed into an integer"),
    ]);
  } finally {
    c.close();
    await server.close();
  }
});

test("CONFIG SET reaches a registered parameter; a failing pair undoes the ones before it", async () => {
  const { server } = await startServer();
  let events = "";
  server.node.config.register("notify-keyspace-events", {
    get: () => events,
    set: (v) => {
      if (/[^KEA$g]/.test(v)) throw new Error("Invalid event class character.");
      events = v;
    },
  });
  let hz = "10";
  server.node.config.register("hz", { get: () => hz, set: (v) => hz = v });
  const c = await RawClient.connect(server.port);
  try {
    assert.equal(await c.one("CONFIG", "SET", "notify-keyspace-events", "KEA"), "+OK\r\n");
    assert.equal(
      await c.one("CONFIG", "GET", "notify-*"),
      `*2\r\n${bulk("notify-keyspace-events")}${bulk("KEA")}`,
    );
    assert.equal(
      await c.one("CONFIG", "SET", "hz", "20", "notify-keyspace-events", "Z"),
      err(
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - " +
          "Invalid event class character.",
      ),
    );
    assert.equal(hz, "10", "the pair before the failing one is put back");
    assert.equal(events, "KEA");
  } finally {
    c.close();
    await server.close();
  }
});

test("INFO: Redis's sections and format; keyspace per database; unknown section is empty", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    await c.send(["SET", "a", "1"], ["SET", "b", "2"], ["SELECT", "3"], ["SET", "c", "3"]);
    assert.equal(
      await c.one("INFO", "keyspace"),
      bulk("# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"),
    );
    assert.equal(await c.one("INFO", "foo"), bulk(""));
    // Sections come in Redis's order whatever the order asked, with a blank line between.
    assert.equal(
      await c.one("INFO", "KEYSPACE", "cluster"),
      bulk(
        "# Cluster\r\ncluster_enabled:0\r\n\r\n" +
          "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n",
      ),
    );
    const all = await c.one("INFO");
    const headers = all.split("\r\n").filter((l) => l.startsWith("# "));
    assert.deepEqual(headers, [
      "# Server",
      "# Clients",
      "# Memory",
      "# Persistence",
      "# Stats",
      "# Replication",
      "# CPU",
      "# Modules",
      "# Errorstats",
      "# Cluster",
      "# Keyspace",
    ]);
    assert.match(all, /\r\nredis_version:7\.2\.0\r\n/);
    assert.match(all, /\r\nrole:master\r\nconnected_slaves:0\r\n/);
    assert.match(all, /\r\ntinykv_role:leader\r\n/);
    assert.match(all, /\r\nconnected_clients:1\r\n/);
    assert.match(all, /\r\nloading:0\r\n/);
    const everything = await c.one("INFO", "everything");
    assert.match(everything, /\r\n# Modules\r\n\r\n# Commandstats\r\n\r\n# Errorstats\r\n/);
    await c.one("HELLO", "3");
    assert.match(
      await c.one("INFO", "cluster"),
      /^=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n$/,
    );
  } finally {
    c.close();
    await server.close();
  }
});

test("INFO memory and cpu report the process's usage in Redis's formats", async () => {
  const { server } = await startServer({
    processUsage: () => ({
      rssBytes: 12_546_048,
      heapUsedBytes: 1_213_832,
      cpuUserMs: 19.156,
      cpuSystemMs: 30_187.5,
    }),
  });
  const c = await RawClient.connect(server.port);
  try {
    const memory = await c.one("INFO", "memory");
    assert.match(memory, /\r\nused_memory:1213832\r\nused_memory_human:1\.16M\r\n/);
    assert.match(memory, /\r\nused_memory_rss:12546048\r\nused_memory_rss_human:11\.96M\r\n/);
    const cpu = await c.one("INFO", "cpu");
    assert.match(cpu, /^\$\d+\r\n# CPU\r\nused_cpu_sys:30\.187500\r\nused_cpu_user:0\.019156\r\n/);
  } finally {
    c.close();
    await server.close();
  }
});

test("INFO stats counts connections and commands; CONFIG RESETSTAT zeroes them", async () => {
  const { server } = await startServer();
  const c = await RawClient.connect(server.port);
  try {
    await c.send(["PING"], ["PING"]);
    const before = await c.one("INFO", "stats");
    assert.match(before, /\r\ntotal_connections_received:1\r\ntotal_commands_processed:3\r\n/);
    await c.one("CONFIG", "RESETSTAT");
    const after = await c.one("INFO", "stats");
    assert.match(after, /\r\ntotal_connections_received:0\r\ntotal_commands_processed:1\r\n/);
  } finally {
    c.close();
    await server.close();
  }
});
