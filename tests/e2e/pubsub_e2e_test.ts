/**
 * Redis pub/sub across three `tinykv` processes: a subscriber on every node's
 * RESP port gets every PUBLISH, sent to whichever node, exactly once and in one
 * order, the same on every node (each message goes through the Raft log). Each
 * PUBLISH answers the subscriber count of the node it was sent to, as Redis
 * Cluster does. The subscribe and message replies are redis-server 7.0's bytes.
 * Then ioredis, a common client, subscribes and publishes across nodes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { BinaryCluster } from "./binary_cluster.ts";
import { cmd, RawConn } from "../server/resp/resp_conn.ts";

const message = (text: string) =>
  `*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$${text.length}\r\n${text}\r\n`;

/** The messages in `text`, which must hold nothing else. */
function messages(text: string): string[] {
  const re = /\*3\r\n\$7\r\nmessage\r\n\$2\r\nch\r\n\$\d+\r\n([^\r]*)\r\n/g;
  const out = [...text.matchAll(re)].map((m) => m[1]);
  assert.equal(out.map(message).join(""), text, "nothing but messages");
  return out;
}

/**
 * PUBLISH on `p`, sent again (at most 30 times, 100 ms apart) while the node answers that it was
 * not applied (`-CLUSTERDOWN`: no leader known yet, or `-TRYAGAIN`): a node that has not heard of
 * the leader right after the cluster started (seen once in a whole-tree Bun run under load). A
 * retried PUBLISH is never a duplicate: not applied means not in the log. Returns the reply.
 */
async function publishOnce(p: RawConn, text: string): Promise<string> {
  for (let attempt = 1;; attempt++) {
    p.send(cmd("PUBLISH", "ch", text));
    const head = await p.read(1);
    if (head !== "-") return head + await p.read(3);
    const line = head + await p.readThrough("\r\n");
    if (!/^-(CLUSTERDOWN|TRYAGAIN) /.test(line) || attempt >= 30) return line;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("binary: PUBLISH to any node reaches subscribers on all three, once each, in one order", {
  timeout: 120_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const conns: RawConn[] = [];
  const open = async (id: number) => {
    const conn = await RawConn.open(c.nodes.get(id)?.respPort ?? 0);
    conns.push(conn);
    return conn;
  };
  try {
    await c.leader();
    await c.serving();
    const ids = [...c.nodes.keys()];
    const subscribers = await Promise.all(ids.map(open));
    const subscribed = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
    for (const s of subscribers) {
      s.send(cmd("SUBSCRIBE", "ch"));
      assert.equal(await s.read(subscribed.length), subscribed);
    }
    const publishers = await Promise.all(ids.map(open));
    // One at a time, round the nodes: the log order is the sending order.
    const sequential = Array.from({ length: 30 }, (_, i) => `s${i}`);
    for (const [i, text] of sequential.entries()) {
      const p = publishers[i % publishers.length];
      assert.equal(await publishOnce(p, text), ":1\r\n", `PUBLISH ${text}: one subscriber`);
    }
    // All at once from every node: the log picks the order, the same one everywhere.
    const concurrent = publishers.map((p, n) => {
      const texts = Array.from({ length: 10 }, (_, i) => `c${n}-${i}`);
      p.send(...texts.map((t) => cmd("PUBLISH", "ch", t)));
      return p.read(4 * texts.length);
    });
    for (const replies of await Promise.all(concurrent)) assert.equal(replies, ":1\r\n".repeat(10));
    publishers[0].send(cmd("PUBLISH", "ch", "end"));
    assert.equal(await publishers[0].read(4), ":1\r\n");
    const got = await Promise.all(subscribers.map((s) => s.readThrough(message("end"))));
    const seen = got.map(messages);
    assert.deepEqual(seen[0].slice(0, 30), sequential, "sequential messages in sending order");
    assert.equal(seen[0].length, 30 + 30 + 1, `every message once:\n${seen[0].join(" ")}`);
    assert.equal(new Set(seen[0]).size, seen[0].length, "no message twice");
    for (const n of [1, 2]) assert.deepEqual(seen[n], seen[0], `node ${ids[n]}: the same order`);
    const perPublisher = (n: number) => seen[0].filter((t) => t.startsWith(`c${n}-`));
    for (const n of [0, 1, 2]) {
      const want = Array.from({ length: 10 }, (_, i) => `c${n}-${i}`);
      assert.deepEqual(perPublisher(n), want, "one connection's messages keep their order");
    }
    assert.deepEqual(c.unexpectedExits, []);
  } finally {
    for (const conn of conns) conn.close();
    await c.stop();
  }
});

test("binary: ioredis subscribers on one node get messages published on another", {
  timeout: 60_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const [one, two] = [...c.nodes.values()];
  const options = { host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 3 };
  const sub = new Redis({ ...options, port: one.respPort });
  const pub = new Redis({ ...options, port: two.respPort });
  try {
    await c.leader();
    await c.serving(); // a leader needs two nodes: the third may still be starting
    await sub.connect();
    await pub.connect();
    const got: string[] = [];
    let wake = () => {};
    sub.on("message", (channel: string, text: string) => {
      got.push(`${channel} ${text}`);
      wake();
    });
    sub.on("pmessage", (pattern: string, channel: string, text: string) => {
      got.push(`${pattern} ${channel} ${text}`);
      wake();
    });
    assert.equal(await sub.subscribe("news", "sport"), 2);
    assert.equal(await sub.psubscribe("n*"), 3);
    assert.equal(await pub.publish("news", "first"), 0, "no subscriber on node 2");
    assert.equal(await pub.publish("sport", "second"), 0);
    assert.equal(await pub.publish("nothing", "third"), 0);
    assert.deepEqual(await pub.pubsub("NUMSUB", "news"), ["news", 0], "node 2's own count");
    const want = ["news first", "n* news first", "sport second", "n* nothing third"];
    for (let i = 0; i < 100 && got.length < want.length; i++) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    assert.deepEqual(got, want);
    assert.equal(await sub.unsubscribe("news", "sport"), 1);
    assert.equal(await sub.punsubscribe(), 0);
    assert.equal(await sub.get("after"), null, "out of subscribed mode");
  } finally {
    sub.disconnect();
    pub.disconnect();
    await c.stop();
  }
});
