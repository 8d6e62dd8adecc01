/**
 * The pub/sub subscriptions of one node and the delivery of what its state
 * machine applied: PUBLISH messages and keyspace events, handed over by the
 * node after each apply pass (NodeService.onRedisEvents), in log order. Every
 * node applies the same log, so subscribers on every node get the same
 * messages in the same order; who is subscribed is the node's own business and
 * is never replicated (like Redis Cluster's pub/sub, each node counts only its
 * own subscribers).
 *
 * Delivery order for one message follows Redis: the channel's subscribers in
 * the order they subscribed, then each matching pattern in the order it was
 * first subscribed. The hub tells the state machine whether to keep events at
 * all (`onWanted`): without a subscriber nothing is kept.
 */
import { globMatch } from "../../kv/redis/glob.ts";
import type { RedisEvent } from "../../kv/redis/storage.ts";
import { utf8 } from "../../util/bytes.ts";
import { NotifyConfig } from "./notify_config.ts";

/** Where a subscriber's messages go (a RESP connection writes them as pushes). */
export interface PubSubSink {
  /** `pattern` is set for a pattern subscription's message (pmessage). */
  deliver(pattern: Uint8Array | undefined, channel: Uint8Array, message: Uint8Array): void;
}

interface Subscribed {
  readonly name: Uint8Array;
  readonly sinks: Set<PubSubSink>;
}

/** A binary-safe map key for a channel or pattern (one char per byte). */
export function bytesKey(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

export class PubSubHub {
  readonly #channels = new Map<string, Subscribed>();
  readonly #patterns = new Map<string, Subscribed>();
  #count = 0;
  /** notify-keyspace-events of this node (CONFIG GET/SET call `notifyConfig`). */
  readonly notifyConfig = new NotifyConfig();

  /** `onWanted(true)` when the first subscription appears, `(false)` when the last goes. */
  constructor(readonly onWanted: (wanted: boolean) => void = () => {}) {}

  /** Channel and pattern subscriptions on this node, over all connections. */
  get subscriptions(): number {
    return this.#count;
  }

  get wanted(): boolean {
    return this.#count > 0;
  }

  /** Adds `sink` to a channel (pattern: true for a pattern); false when it was there. */
  add(sink: PubSubSink, name: Uint8Array, pattern: boolean): boolean {
    const table = pattern ? this.#patterns : this.#channels;
    const key = bytesKey(name);
    let entry = table.get(key);
    if (entry === undefined) {
      entry = { name, sinks: new Set() };
      table.set(key, entry);
    }
    if (entry.sinks.has(sink)) return false;
    entry.sinks.add(sink);
    if (this.#count++ === 0) this.onWanted(true);
    return true;
  }

  /** Removes `sink` from a channel or pattern; false when it was not there. */
  remove(sink: PubSubSink, name: Uint8Array, pattern: boolean): boolean {
    const table = pattern ? this.#patterns : this.#channels;
    const key = bytesKey(name);
    const entry = table.get(key);
    if (entry === undefined || !entry.sinks.delete(sink)) return false;
    if (entry.sinks.size === 0) table.delete(key);
    if (--this.#count === 0) this.onWanted(false);
    return true;
  }

  /** What one apply pass announced, in log order. */
  publish(events: readonly RedisEvent[]): void {
    if (this.#count === 0) return;
    for (const e of events) {
      if (e.kind === "publish") {
        this.#deliver(e.channel, e.message);
        continue;
      }
      const wants = this.notifyConfig.wants(e.cls);
      if (wants.keyspace) this.#deliver(keyspaceChannel(e.db, e.key), utf8(e.event));
      if (wants.keyevent) this.#deliver(utf8(`__keyevent@${e.db}__:${e.event}`), e.key);
    }
  }

  #deliver(channel: Uint8Array, message: Uint8Array): void {
    for (const sink of this.#channels.get(bytesKey(channel))?.sinks ?? []) {
      sink.deliver(undefined, channel, message);
    }
    for (const p of this.#patterns.values()) {
      if (!globMatch(p.name, channel)) continue;
      for (const sink of p.sinks) sink.deliver(p.name, channel, message);
    }
  }

  /** How many deliveries a message on `channel` makes here now (PUBLISH's reply). */
  receivers(channel: Uint8Array): number {
    let n = this.#channels.get(bytesKey(channel))?.sinks.size ?? 0;
    for (const p of this.#patterns.values()) if (globMatch(p.name, channel)) n += p.sinks.size;
    return n;
  }

  /** Channels with at least one subscriber, matching `pattern` when given (PUBSUB CHANNELS). */
  channels(pattern?: Uint8Array): Uint8Array[] {
    const names = [...this.#channels.values()].map((c) => c.name);
    return pattern === undefined ? names : names.filter((n) => globMatch(pattern, n));
  }

  /** Subscribers of one channel, patterns aside (PUBSUB NUMSUB). */
  numsub(channel: Uint8Array): number {
    return this.#channels.get(bytesKey(channel))?.sinks.size ?? 0;
  }

  /** Distinct patterns subscribed to (PUBSUB NUMPAT: Redis 7.0 counts patterns, not clients). */
  numpat(): number {
    return this.#patterns.size;
  }
}

function keyspaceChannel(db: number, key: Uint8Array): Uint8Array {
  const prefix = utf8(`__keyspace@${db}__:`);
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}
