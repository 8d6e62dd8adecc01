/**
 * One connection's subscriptions: the channels and patterns it asked for, in
 * the order it asked (UNSUBSCRIBE without arguments answers in that order),
 * registered with the node's hub, which delivers to `sink`.
 */
import { REDIS_SUBSCRIPTIONS_MAX } from "../../limits.ts";
import { bytesKey, type PubSubHub, type PubSubSink } from "./pubsub_hub.ts";

export class TooManySubscriptionsError extends Error {
  override name = "TooManySubscriptionsError";
  constructor() {
    super(`more than ${REDIS_SUBSCRIPTIONS_MAX} subscriptions on this connection`);
  }
}

export class PubSubClient {
  readonly #channels = new Map<string, Uint8Array>();
  readonly #patterns = new Map<string, Uint8Array>();

  constructor(readonly hub: PubSubHub, readonly sink: PubSubSink) {}

  /** Channels plus patterns: the number Redis puts in every (un)subscribe reply. */
  get count(): number {
    return this.#channels.size + this.#patterns.size;
  }

  /** The connection's channels (pattern: false) or patterns, in subscription order. */
  names(pattern: boolean): Uint8Array[] {
    return [...(pattern ? this.#patterns : this.#channels).values()];
  }

  /**
   * Subscribes to each name in turn; returns the count after each. Throws
   * TooManySubscriptionsError, subscribing to none, when they would not fit.
   */
  subscribe(names: readonly Uint8Array[], pattern: boolean): number[] {
    const mine = pattern ? this.#patterns : this.#channels;
    const fresh = new Set(names.map(bytesKey).filter((k) => !mine.has(k)));
    if (this.count + fresh.size > REDIS_SUBSCRIPTIONS_MAX) throw new TooManySubscriptionsError();
    return names.map((name) => {
      const key = bytesKey(name);
      if (!mine.has(key)) {
        mine.set(key, name);
        this.hub.add(this.sink, name, pattern);
      }
      return this.count;
    });
  }

  /** Unsubscribes from each name in turn (none: from all); the names and the count after each. */
  unsubscribe(
    names: readonly Uint8Array[],
    pattern: boolean,
  ): { name: Uint8Array; count: number }[] {
    const mine = pattern ? this.#patterns : this.#channels;
    const which = names.length > 0 ? names : [...mine.values()];
    return which.map((name) => {
      if (mine.delete(bytesKey(name))) this.hub.remove(this.sink, name, pattern);
      return { name, count: this.count };
    });
  }

  /** The connection closed (or RESET): every subscription goes, without replies. */
  clear(): void {
    this.unsubscribe([], false);
    this.unsubscribe([], true);
  }
}
