/**
 * Redis's `notify-keyspace-events` setting of one node: which keyspace events
 * its pub/sub hub turns into messages on `__keyspace@<db>__:<key>` (K) and
 * `__keyevent@<db>__:<event>` (E). Flag letters, their parsing and their
 * canonical text are Redis 7.0's (checked against redis-server 7.0: CONFIG
 * SET of "KEA" reads back as "AKE", "Kg$lshzxetmdn" as "AKm").
 */

/** Class letters in the order Redis writes them back; 'A' stands for all of ALL_CLASSES. */
const CLASS_ORDER = "g$lshzxetdn";
/** What 'A' means: every class but key misses (m) and new keys (n). */
const ALL_CLASSES = "g$lshzxetd";
const VALID = new Set([..."Ag$lshzxeKEtmdn"]);

/** CONFIG SET's reason for a bad value (Redis wraps it: "ERR CONFIG SET failed ..."). */
export const INVALID_NOTIFY_FLAGS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

export class NotifyFlagsError extends Error {
  override name = "NotifyFlagsError";
  constructor() {
    super(INVALID_NOTIFY_FLAGS);
  }
}

/** The set of flag letters a value turns on ('A' expanded), or throws NotifyFlagsError. */
export function parseNotifyFlags(text: string): Set<string> {
  const flags = new Set<string>();
  for (const ch of text) {
    if (!VALID.has(ch)) throw new NotifyFlagsError();
    if (ch === "A") { for (const c of ALL_CLASSES) flags.add(c); }
    else flags.add(ch);
  }
  return flags;
}

/** The text CONFIG GET shows: "A" when every class of 'A' is on, then K, E, m. */
export function formatNotifyFlags(flags: ReadonlySet<string>): string {
  const all = [...ALL_CLASSES].every((c) => flags.has(c));
  let text = all ? "A" : [...CLASS_ORDER].filter((c) => flags.has(c)).join("");
  for (const c of "KEm") if (flags.has(c)) text += c;
  return text;
}

/** One node's notify-keyspace-events value (empty by default, as in Redis). */
export class NotifyConfig {
  #flags: ReadonlySet<string> = new Set();

  /** CONFIG GET notify-keyspace-events. */
  get(): string {
    return formatNotifyFlags(this.#flags);
  }

  /** CONFIG SET notify-keyspace-events: throws NotifyFlagsError, changing nothing, on bad text. */
  set(text: string): void {
    this.#flags = parseNotifyFlags(text);
  }

  /** Whether events of class `cls` produce keyspace (K) or keyevent (E) messages. */
  wants(cls: string): { keyspace: boolean; keyevent: boolean } {
    const on = this.#flags.has(cls);
    return { keyspace: on && this.#flags.has("K"), keyevent: on && this.#flags.has("E") };
  }

  /** Whether any keyspace event can produce a message at all. */
  get active(): boolean {
    return this.#flags.has("K") || this.#flags.has("E");
  }
}
