/**
 * Pub/sub on the RESP port over a state machine without Raft: SUBSCRIBE,
 * PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, subscribed mode, RESP3
 * pushes and keyspace notifications. Every expected reply below was checked
 * byte for byte against redis-server 7.0 (same commands, same order).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PubSubHub } from "../../../src/server/pubsub/pubsub_hub.ts";
import { RespServer } from "../../../src/server/resp/resp_server.ts";
import { NOTIFY_KEYSPACE_EVENTS } from "../../../src/server/resp/resp_pubsub.ts";
import { RedisError } from "../../../src/kv/redis/errors.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { LocalKvService } from "../local_kv_service.ts";
import { cmd, RawConn } from "./resp_conn.ts";

const CANT = (name: string) =>
  `-ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / ` +
  "RESET are allowed in this context\r\n";

/** A RESP server whose hub gets what the state machine applies, as server.ts wires a node. */
async function start() {
  const service = await LocalKvService.open();
  const hub = new PubSubHub((wanted) => {
    service.kv.redisEventsWanted = wanted;
  });
  service.onRedisEvents = (events) => hub.publish(events);
  const server = await RespServer.start({
    clock: getPlatform().clock,
    net: getPlatform().net,
    hostname: "127.0.0.1",
    port: 0,
    service,
    pubsub: hub,
  });
  const conns: RawConn[] = [];
  const open = async () => {
    const c = await RawConn.open(server.port);
    conns.push(c);
    return c;
  };
  const stop = async () => {
    for (const c of conns) c.close();
    await server.close();
  };
  return { hub, service, open, stop };
}

/** Expects exactly `want` next on `c`. */
async function expect(c: RawConn, want: string, what: string): Promise<void> {
  assert.equal(await c.read(want.length), want, what);
}

test("RESP pub/sub (RESP2): subscribed mode, messages, PUBSUB and unsubscribing", async () => {
  const t = await start();
  try {
    const a = await t.open(), b = await t.open();
    a.send(
      cmd("SUBSCRIBE", "a", "b", "a"),
      cmd("PSUBSCRIBE", "h*"),
      cmd("PING"),
      cmd("PING", "hi"),
      cmd("GET", "x"),
      cmd("PUBSUB", "NUMPAT"),
      cmd("FOO", "x"),
      cmd("GET"),
      cmd("SUBSCRIBE"),
    );
    await expect(
      a,
      "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n" +
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nh*\r\n:3\r\n" +
        "*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$2\r\nhi\r\n" + CANT("get") +
        CANT("pubsub|numpat") + "-ERR unknown command 'FOO', with args beginning with: 'x' \r\n" +
        "-ERR wrong number of arguments for 'get' command\r\n" +
        "-ERR wrong number of arguments for 'subscribe' command\r\n",
      "subscriber",
    );
    b.send(
      cmd("PUBLISH", "a", "hello"),
      cmd("PUBLISH", "hat", "x"),
      cmd("PUBLISH", "b", "y"),
      cmd("PUBLISH", "zz", "q"),
      cmd("PUBSUB", "NUMSUB", "a", "b", "zz"),
      cmd("PUBSUB", "NUMPAT"),
      cmd("PUBSUB", "CHANNELS", "a*"),
      cmd("PUBSUB", "CHANNELS", "q*"),
      cmd("PUBSUB", "NUMSUB"),
      cmd("PUBSUB", "FOO"),
      cmd("PUBSUB", "NUMPAT", "x"),
      cmd("PUBSUB", "channels", "a", "b"),
      cmd("PUBSUB", "SHARDCHANNELS"),
      cmd("PUBSUB", "SHARDNUMSUB", "a"),
    );
    await expect(
      b,
      ":1\r\n:1\r\n:1\r\n:0\r\n*6\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:1\r\n$2\r\nzz\r\n:0\r\n:1\r\n" +
        "*1\r\n$1\r\na\r\n*0\r\n*0\r\n-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n" +
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n" +
        "-ERR unknown subcommand or wrong number of arguments for 'channels'. " +
        "Try PUBSUB HELP.\r\n*0\r\n*2\r\n$1\r\na\r\n:0\r\n",
      "publisher",
    );
    await expect(
      a,
      "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n" +
        "*4\r\n$8\r\npmessage\r\n$2\r\nh*\r\n$3\r\nhat\r\n$1\r\nx\r\n" +
        "*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$1\r\ny\r\n",
      "messages",
    );
    a.send(
      cmd("UNSUBSCRIBE", "b"),
      cmd("UNSUBSCRIBE"),
      cmd("UNSUBSCRIBE"),
      cmd("PUNSUBSCRIBE", "x"),
      cmd("PUNSUBSCRIBE"),
      cmd("PUNSUBSCRIBE"),
      cmd("GET", "x"),
      cmd("QUIT"),
    );
    await expect(
      a,
      "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n" +
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n*3\r\n$12\r\npunsubscribe\r\n$1\r\nx\r\n:1\r\n" +
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nh*\r\n:0\r\n*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n" +
        "$-1\r\n+OK\r\n",
      "unsubscribing",
    );
    assert.equal(t.hub.subscriptions, 0);
    assert.equal(t.service.kv.redisEventsWanted, false, "no subscriber: events are not kept");
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub (RESP3): pushes, and normal commands on a subscribed connection", async () => {
  const t = await start();
  try {
    const a = await t.open(), b = await t.open();
    a.send(cmd("HELLO", "3"));
    await a.readThrough("modules\r\n*0\r\n");
    a.send(
      cmd("SUBSCRIBE", "ch"),
      cmd("PSUBSCRIBE", "c*"),
      cmd("PING"),
      cmd("GET", "x"),
      cmd("SET", "x", "1"),
      cmd("PUBLISH", "ch", "self"),
    );
    await expect(
      a,
      ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n>3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n" +
        "+PONG\r\n_\r\n+OK\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n" +
        ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$4\r\nself\r\n:2\r\n",
      "subscribe, commands, own message",
    );
    b.send(cmd("PUBLISH", "ch", "hello"));
    await expect(b, ":2\r\n", "publisher");
    await expect(
      a,
      ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n" +
        ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$5\r\nhello\r\n",
      "pushes",
    );
    a.send(cmd("UNSUBSCRIBE", "ch", "zz"), cmd("PUNSUBSCRIBE"), cmd("UNSUBSCRIBE"), cmd("PING"));
    await expect(
      a,
      ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n>3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:1\r\n" +
        ">3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:0\r\n>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n" +
        "+PONG\r\n",
      "unsubscribing",
    );
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub: a pipeline enters and leaves subscribed mode in command order", async () => {
  // QUIT behind a read in flight: the read's reply goes out before the connection closes.
  const t = await start();
  try {
    const a = await t.open();
    a.send(
      cmd("SET", "k", "v"),
      cmd("SUBSCRIBE", "s"),
      cmd("GET", "k"),
      cmd("UNSUBSCRIBE", "s"),
      cmd("GET", "k"),
      cmd("QUIT"),
    );
    await expect(
      a,
      "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\ns\r\n:1\r\n" + CANT("get") +
        "*3\r\n$11\r\nunsubscribe\r\n$1\r\ns\r\n:0\r\n$1\r\nv\r\n+OK\r\n",
      "pipeline",
    );
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub: PUBLISH inside MULTI answers this node's count in EXEC", async () => {
  const t = await start();
  try {
    const s = await t.open(), a = await t.open();
    s.send(cmd("SUBSCRIBE", "m"));
    await expect(s, "*3\r\n$9\r\nsubscribe\r\n$1\r\nm\r\n:1\r\n", "subscribed");
    a.send(
      cmd("MULTI"),
      cmd("PUBLISH", "m", "1"),
      cmd("SET", "k", "2"),
      cmd("PUBLISH", "m", "2"),
      cmd("EXEC"),
    );
    await expect(a, "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:1\r\n+OK\r\n:1\r\n", "exec");
    await expect(
      s,
      "*3\r\n$7\r\nmessage\r\n$1\r\nm\r\n$1\r\n1\r\n*3\r\n$7\r\nmessage\r\n$1\r\nm\r\n$1\r\n2\r\n",
      "both messages, in order",
    );
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub: keyspace notifications (notify-keyspace-events KEA)", async () => {
  const t = await start();
  try {
    NOTIFY_KEYSPACE_EVENTS.set(t.hub, utf8("KEA"));
    const s = await t.open(), a = await t.open();
    s.send(cmd("PSUBSCRIBE", "__key*__:*"));
    await expect(s, "*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n", "psubscribed");
    a.send(
      cmd("SET", "k", "v"),
      cmd("SELECT", "3"),
      cmd("SET", "k", "v", "EX", "100"),
      cmd("DEL", "k"),
      cmd("SELECT", "0"),
      cmd("SET", "k", "v", "NX"),
      cmd("INCR", "n"),
      cmd("PUBLISH", "__keyevent@0__:set", "fake"),
    );
    await expect(a, "+OK\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n$-1\r\n:1\r\n:1\r\n", "writes");
    const pm = (channel: string, message: string) =>
      `*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$${channel.length}\r\n${channel}\r\n` +
      `$${message.length}\r\n${message}\r\n`;
    await expect(
      s,
      pm("__keyspace@0__:k", "set") + pm("__keyevent@0__:set", "k") +
        pm("__keyspace@3__:k", "set") + pm("__keyevent@3__:set", "k") +
        pm("__keyspace@3__:k", "expire") + pm("__keyevent@3__:expire", "k") +
        pm("__keyspace@3__:k", "del") + pm("__keyevent@3__:del", "k") +
        pm("__keyspace@0__:n", "incrby") + pm("__keyevent@0__:incrby", "n") +
        pm("__keyevent@0__:set", "fake"),
      "keyspace messages",
    );
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub: a closed subscriber leaves the hub", async () => {
  const t = await start();
  try {
    const a = await t.open();
    a.send(cmd("SUBSCRIBE", "x", "y"), cmd("PSUBSCRIBE", "z*"));
    await a.readThrough("z*\r\n:3\r\n");
    assert.equal(t.hub.subscriptions, 3);
    assert.equal(t.service.kv.redisEventsWanted, true);
    const b = await t.open();
    a.close();
    // The server notices the close on its own schedule; PUBSUB asks it (bounded).
    for (let i = 0; i < 200 && t.hub.subscriptions > 0; i++) {
      b.send(cmd("PUBSUB", "NUMPAT"));
      await b.readThrough("\r\n");
    }
    assert.equal(t.hub.subscriptions, 0);
    assert.equal(t.service.kv.redisEventsWanted, false);
  } finally {
    await t.stop();
  }
});

test("RESP pub/sub: notify-keyspace-events for CONFIG, with redis-server 7.0's refusal", () => {
  const hub = new PubSubHub();
  const refusal = "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events')" +
    " - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
  assert.equal(NOTIFY_KEYSPACE_EVENTS.get(hub), "");
  NOTIFY_KEYSPACE_EVENTS.set(hub, utf8("Kg$lshzxetmdn"));
  assert.equal(NOTIFY_KEYSPACE_EVENTS.get(hub), "AKm");
  assert.equal(NOTIFY_KEYSPACE_EVENTS.check(utf8("KEA")), undefined);
  for (const bad of [utf8("Kq"), new Uint8Array([0xff])]) {
    assert.equal(NOTIFY_KEYSPACE_EVENTS.check(bad), refusal);
    assert.throws(
      () => NOTIFY_KEYSPACE_EVENTS.set(hub, bad),
      (e) => e instanceof RedisError && e.line === refusal,
    );
  }
  assert.equal(NOTIFY_KEYSPACE_EVENTS.get(hub), "AKm", "a refused value changes nothing");
});
