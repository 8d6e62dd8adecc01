/**
 * The pub/sub hub and one connection's subscriptions: delivery order, patterns,
 * the counts PUBSUB and PUBLISH answer, keyspace events under
 * notify-keyspace-events, and the flag that tells the state machine to keep events.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RedisEvent } from "../../../src/kv/redis/storage.ts";
import { REDIS_SUBSCRIPTIONS_MAX } from "../../../src/limits.ts";
import {
  PubSubClient,
  TooManySubscriptionsError,
} from "../../../src/server/pubsub/pubsub_client.ts";
import { PubSubHub } from "../../../src/server/pubsub/pubsub_hub.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

/** A connection that records what it was sent, as "name: [pattern ]channel message". */
function client(hub: PubSubHub, name: string, got: string[]): PubSubClient {
  return new PubSubClient(hub, {
    deliver: (pattern, channel, message) => {
      const p = pattern === undefined ? "" : `${fromUtf8(pattern)} `;
      got.push(`${name}: ${p}${fromUtf8(channel)} ${fromUtf8(message)}`);
    },
  });
}

const b = (...names: string[]) => names.map(utf8);
const pub = (channel: string, message: string): RedisEvent => ({
  kind: "publish",
  channel: utf8(channel),
  message: utf8(message),
});
const keyEvent = (db: number, event: string, key: string, cls: string): RedisEvent => ({
  kind: "keyspace",
  db,
  event,
  key: utf8(key),
  cls,
});

test("pubsub hub: channel subscribers then matching patterns, in subscription order", () => {
  const hub = new PubSubHub();
  const got: string[] = [];
  const a = client(hub, "a", got), c = client(hub, "c", got);
  assert.deepEqual(a.subscribe(b("news", "sport", "news"), false), [1, 2, 2]);
  assert.deepEqual(c.subscribe(b("n*", "*s"), true), [1, 2]);
  assert.deepEqual(c.subscribe(b("news"), false), [3]);
  hub.publish([pub("news", "m1"), pub("sport", "m2"), pub("other", "m3"), pub("nope", "m4")]);
  assert.deepEqual(got, [
    "a: news m1",
    "c: news m1",
    "c: n* news m1",
    "c: *s news m1",
    "a: sport m2",
    "c: n* nope m4",
  ]);
  assert.equal(hub.receivers(utf8("news")), 4);
  assert.equal(hub.receivers(utf8("x")), 0);
  assert.equal(hub.numsub(utf8("news")), 2);
  assert.equal(hub.numpat(), 2);
  assert.deepEqual(hub.channels().map(fromUtf8), ["news", "sport"]);
  assert.deepEqual(hub.channels(utf8("s*")).map(fromUtf8), ["sport"]);
});

test("pubsub hub: unsubscribing, with and without names, and the wanted flag", () => {
  const flags: boolean[] = [];
  const hub = new PubSubHub((w) => flags.push(w));
  const got: string[] = [];
  const a = client(hub, "a", got);
  a.subscribe(b("x", "y"), false);
  a.subscribe(b("p*"), true);
  assert.deepEqual(flags, [true]);
  const one = a.unsubscribe(b("y", "never"), false);
  assert.deepEqual(one.map((u) => [fromUtf8(u.name), u.count]), [["y", 2], ["never", 2]]);
  const all = a.unsubscribe([], false);
  assert.deepEqual(all.map((u) => [fromUtf8(u.name), u.count]), [["x", 1]]);
  assert.deepEqual(a.unsubscribe([], false), [], "nothing left to leave");
  assert.equal(hub.wanted, true);
  a.clear();
  assert.deepEqual(flags, [true, false]);
  assert.equal(hub.subscriptions, 0);
  hub.publish([pub("x", "late"), pub("pq", "late")]);
  assert.deepEqual(got, []);
  assert.deepEqual(hub.channels(), []);
});

test("pubsub hub: channels are bytes, not text", () => {
  const hub = new PubSubHub();
  const got: Uint8Array[] = [];
  const a = new PubSubClient(hub, { deliver: (_p, _c, m) => got.push(m) });
  const bad1 = new Uint8Array([0xff, 0x00]), bad2 = new Uint8Array([0xfe, 0x00]);
  a.subscribe([bad1], false);
  hub.publish([{ kind: "publish", channel: bad2, message: utf8("no") }]);
  hub.publish([{ kind: "publish", channel: bad1, message: utf8("yes") }]);
  assert.deepEqual(got.map(fromUtf8), ["yes"]);
});

test("pubsub hub: keyspace events follow notify-keyspace-events (K, E and classes)", () => {
  const hub = new PubSubHub();
  const got: string[] = [];
  client(hub, "a", got).subscribe(b("__key*"), true);
  const events = [keyEvent(0, "set", "k", "$"), keyEvent(3, "del", "k2", "g")];
  hub.publish(events);
  assert.deepEqual(got, [], "off by default, as in Redis");
  hub.notifyConfig.set("K$");
  hub.publish(events);
  assert.deepEqual(got, ["a: __key* __keyspace@0__:k set"]);
  got.length = 0;
  hub.notifyConfig.set("EA");
  hub.publish(events);
  assert.deepEqual(got, ["a: __key* __keyevent@0__:set k", "a: __key* __keyevent@3__:del k2"]);
  got.length = 0;
  hub.notifyConfig.set("KEg");
  hub.publish(events);
  assert.deepEqual(got, ["a: __key* __keyspace@3__:k2 del", "a: __key* __keyevent@3__:del k2"]);
});

test("pubsub client: too many subscriptions are refused whole", () => {
  const hub = new PubSubHub();
  const a = client(hub, "a", []);
  const names = Array.from({ length: REDIS_SUBSCRIPTIONS_MAX }, (_, i) => utf8(`c${i}`));
  a.subscribe(names, false);
  assert.throws(() => a.subscribe(b("one-more", "c1"), true), TooManySubscriptionsError);
  assert.deepEqual(a.subscribe(b("c1"), false), [REDIS_SUBSCRIPTIONS_MAX], "a repeat still fits");
  assert.equal(hub.subscriptions, REDIS_SUBSCRIPTIONS_MAX);
  assert.equal(hub.numpat(), 0);
});
