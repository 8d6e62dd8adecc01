/**
 * The parameters CONFIG GET and CONFIG SET see, by lower-case name. Each is a
 * small object the owner of the setting provides: the pub/sub hub plugs its
 * notify-keyspace-events in with `register`, replacing the default here.
 */
import { REDIS_DATABASES, RESP_BULK_BYTES_MAX } from "../../limits.ts";

export interface ConfigParameter {
  /** The value as CONFIG GET shows it. */
  get(): string;
  /** Validates and applies a value; throws an Error whose message CONFIG SET reports. */
  set(value: string): void;
}

/** Redis's words for a parameter that only a restart could change. */
export const IMMUTABLE = "can't set immutable config";

/** A parameter TinyKV reports but cannot change at run time. */
export function fixedParameter(value: string | (() => string)): ConfigParameter {
  return {
    get: typeof value === "string" ? () => value : value,
    set: () => {
      throw new Error(IMMUTABLE);
    },
  };
}

/** A settable integer parameter, refused as Redis 7.0 refuses (count or memory size). */
function integerParameter(initial: number, memory = false): ConfigParameter {
  let current = initial;
  const units: Record<string, number> = { "": 1, k: 1e3, kb: 1024, m: 1e6, mb: 1 << 20 };
  return {
    get: () => String(current),
    set: (value) => {
      const m = /^(-?\d{1,15})([a-z]*)$/i.exec(value);
      const unit = memory ? units[m?.[2].toLowerCase() ?? "x"] : m?.[2] === "" ? 1 : undefined;
      if (m === null || unit === undefined) {
        throw new Error(
          memory
            ? "argument must be a memory value"
            : "argument couldn't be parsed into an integer",
        );
      }
      const n = Number(m[1]) * unit;
      if (n < 0) throw new Error("argument must be between 0 and 9223372036854775807 inclusive");
      current = n;
    },
  };
}

/** A parameter any text can be set to (it tunes nothing TinyKV has). */
function textParameter(initial: string): ConfigParameter {
  let current = initial;
  return { get: () => current, set: (value) => void (current = value) };
}

/**
 * notify-keyspace-events until the pub/sub hub registers its own: empty, and
 * only settable to empty (there is nothing to deliver events to).
 */
export const NO_KEYSPACE_EVENTS: ConfigParameter = {
  get: () => "",
  set: (value) => {
    if (value !== "") throw new Error("keyspace notifications are not available on this node");
  },
};

export class ConfigRegistry {
  readonly #params = new Map<string, ConfigParameter>();

  /** Adds or replaces a parameter (names are case-insensitive, as in Redis). */
  register(name: string, param: ConfigParameter): void {
    this.#params.set(name.toLowerCase(), param);
  }

  get(name: string): ConfigParameter | undefined {
    return this.#params.get(name.toLowerCase());
  }

  /** Every parameter, in registration order. */
  entries(): IterableIterator<[string, ConfigParameter]> {
    return this.#params.entries();
  }
}

export interface PortFacts {
  readonly hostname: string;
  port(): number;
  readonly connectionsMax: number;
}

/**
 * What clients and redis-benchmark ask for, answered as TinyKV behaves:
 * every write is durable before it is acknowledged (like appendonly yes with
 * appendfsync always), nothing is evicted, there is no idle timeout.
 */
export function defaultConfig(port: PortFacts): ConfigRegistry {
  const r = new ConfigRegistry();
  const facts: Record<string, string | (() => string)> = {
    "bind": port.hostname,
    "port": () => String(port.port()),
    "databases": String(REDIS_DATABASES),
    "maxclients": String(port.connectionsMax),
    "timeout": "0",
    "appendonly": "yes",
    "appendfsync": "always",
    "maxmemory": "0",
    "maxmemory-policy": "noeviction",
    "proto-max-bulk-len": String(RESP_BULK_BYTES_MAX),
    "cluster-enabled": "no",
    "replica-read-only": "yes",
    "slave-read-only": "yes",
    "lazyfree-lazy-user-del": "no",
    "io-threads": "1",
  };
  for (const [name, value] of Object.entries(facts)) r.register(name, fixedParameter(value));
  // Redis 7.0's encoding thresholds: settable, as test suites set them around their tests, but
  // they tune nothing here (OBJECT ENCODING answers by Redis's defaults: key_object.ts).
  const entries = integerParameter(512), value = integerParameter(64, true);
  r.register("hash-max-listpack-entries", entries);
  r.register("hash-max-ziplist-entries", entries);
  r.register("hash-max-listpack-value", value);
  r.register("hash-max-ziplist-value", value);
  r.register("set-max-intset-entries", integerParameter(512));
  // Snapshot settings tests set and restore: accepted, and they change nothing here (every
  // write is durable before it is acknowledged; there is no RDB file to save).
  r.register("save", textParameter(""));
  r.register("rdb-key-save-delay", integerParameter(0));
  r.register("notify-keyspace-events", NO_KEYSPACE_EVENTS);
  return r;
}
