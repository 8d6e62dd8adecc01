/**
 * The reads of a transaction across regions at its start timestamp (cross_region_txn.ts,
 * cross_region_redis.ts; docs/transactions.md "On a node holding some regions"), and of RESP
 * WATCH tokens on a node holding some regions. Keys of regions this node holds are read here
 * (`serveKeysAt`: each region closed at the timestamp and its locks finished, node_reads.ts);
 * the keys of each region it does not hold go, in one `RegionTxnRequest` read (keys_at_codec.ts),
 * to that region's leader by the node's routes (node_txn_sender.ts), which serves them with the
 * same `serveKeysAt` (at most TXN_CROSS_REGION_KEYS_MAX keys a request: a RESP WATCH may name
 * more, in several). A stale route is forgotten and the keys routed again; no leader or a lost
 * answer is retried after a backoff; at most TXN_ROUTE_ATTEMPTS_MAX tries, then UNAVAILABLE
 * (nothing was written: the transaction tries again at a new start timestamp).
 *
 * A region answers at most TXN_CROSS_REGION_BYTES_MAX bytes of keys and values (TOO_LARGE).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { indexKey, indexKeyEnd } from "../../kv/mvcc_keys.ts";
import { metaKey } from "../../kv/redis/keys.ts";
import type { RedisStorage } from "../../kv/redis/storage.ts";
import type { LocalView } from "../../kv/redis/txn_storage.ts";
import { watchToken } from "../../kv/redis/watch_token.ts";
import {
  TXN_CROSS_REGION_BYTES_MAX,
  TXN_CROSS_REGION_KEYS_MAX,
  TXN_ROUTE_ATTEMPTS_MAX,
} from "../../limits_ops.ts";
import type { TxnRoute } from "../../txn/routed_txn_client.ts";
import { toHex } from "../../util/bytes.ts";
import { ServiceError } from "../kv_service.ts";
import {
  decodeKeysAtReply,
  encodeKeysAt,
  encodeKeysAtReply,
  type KeyAt,
  type KeysAtRequest,
} from "./keys_at_codec.ts";

export type { KeyAt } from "./keys_at_codec.ts";

/** Reads `keys` at `ts` linearizably, locks finished (NodeReads.getManyAt). */
export type ReadAt = (keys: readonly Uint8Array[], ts: number) => Promise<(KeyState | undefined)[]>;

/**
 * The keys of `req` as a region's replica serves them: the strings at `ts`, then, in one turn of
 * the engine (at least as new), each key's meta record, newest key index entry and WATCH token.
 */
export async function serveKeysAt(
  readAt: ReadAt,
  storage: () => RedisStorage,
  req: KeysAtRequest,
): Promise<KeyAt[]> {
  const states = await readAt(req.keys, req.ts);
  const s = storage();
  return req.keys.map((k, i) => {
    let indexTop: [Uint8Array, Uint8Array] | undefined;
    for (const entry of s.scan(indexKey(k, Number.MAX_SAFE_INTEGER), indexKeyEnd(k))) {
      indexTop = [entry[0].slice(), entry[1].slice()];
      break;
    }
    const meta = s.get(metaKey(0, k))?.slice();
    return { state: states[i], meta, indexTop, token: watchToken(s, req.db, k) };
  });
}

/** `serveKeysAt`'s answer as bytes; TOO_LARGE past TXN_CROSS_REGION_BYTES_MAX. */
export function encodeServed(keys: readonly KeyAt[]): Uint8Array {
  const reply = encodeKeysAtReply(keys);
  if (reply.length <= TXN_CROSS_REGION_BYTES_MAX) return reply;
  throw new ServiceError(
    ErrorCode.TOO_LARGE,
    `a transaction across regions reads ${reply.length} bytes of one region it does not hold:` +
      ` at most ${TXN_CROSS_REGION_BYTES_MAX}`,
  );
}

export interface KeysAtDeps {
  /** Whether this node holds a region of `key` (served here, else sent to its leader). */
  readonly holds: (key: Uint8Array) => boolean;
  readonly serve: (req: KeysAtRequest) => Promise<KeyAt[]>;
  /** The route of a key this node holds no region of (cache, else placement). */
  readonly routeOf: (key: Uint8Array) => Promise<TxnRoute | undefined>;
  /** The region's answer to a read (node_txn_sender.ts); throws its refusal. */
  readonly send: (route: TxnRoute, request: Uint8Array) => Promise<Uint8Array>;
  readonly sleep: (ms: number) => Promise<void>;
}

const STALE: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.EPOCH_NOT_MATCH,
  ErrorCode.REGION_NOT_FOUND,
  ErrorCode.KEY_NOT_IN_REGION,
]);
/** Refusals another try may not meet: a leader changing, a request lost. */
const PASSING: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.UNAVAILABLE,
  ErrorCode.NOT_LEADER,
  ErrorCode.TIMEOUT,
]);

/** Reads `keys` (distinct) at `ts`, here and at the leaders of the regions held elsewhere. */
export async function readKeysAt(
  d: KeysAtDeps,
  keys: readonly Uint8Array[],
  ts: number,
  db = 0,
): Promise<KeyAt[]> {
  const here = keys.filter((k) => d.holds(k));
  if (here.length === keys.length) return await d.serve({ ts, db, keys });
  const found = new Map<string, KeyAt>();
  const local = here.length === 0 ? Promise.resolve([]) : d.serve({ ts, db, keys: here });
  local.catch(() => {}); // awaited below, unless a remote part fails first
  let todo = keys.filter((k) => !d.holds(k));
  let why = "";
  for (let attempt = 1; todo.length > 0; attempt++) {
    if (attempt > TXN_ROUTE_ATTEMPTS_MAX) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `reads at ${ts} refused: ${why}; retry`);
    }
    // One request a region, of at most TXN_CROSS_REGION_KEYS_MAX keys (a WATCH may name more).
    const groups: { route: TxnRoute; keys: Uint8Array[] }[] = [];
    const open = new Map<number, { route: TxnRoute; keys: Uint8Array[] }>();
    const unrouted: Uint8Array[] = [];
    for (const k of todo) {
      const route = await d.routeOf(k);
      if (route === undefined) {
        unrouted.push(k);
        continue;
      }
      let group = open.get(route.id);
      if (group === undefined || group.keys.length >= TXN_CROSS_REGION_KEYS_MAX) {
        group = { route, keys: [] };
        groups.push(group);
        open.set(route.id, group);
      }
      group.keys.push(k);
    }
    if (unrouted.length > 0) why = "placement knows no region for a key yet";
    todo = unrouted;
    const sent = await Promise.allSettled(
      groups.map(async ({ route, keys }) => {
        const reply = await d.send(route, encodeKeysAt({ ts, db, keys }));
        return { keys, got: decodeKeysAtReply(reply) };
      }),
    );
    let wait = unrouted.length > 0;
    sent.forEach((s, i) => {
      if (s.status === "fulfilled" && s.value.got.length === s.value.keys.length) {
        s.value.keys.forEach((k, j) => found.set(toHex(k), s.value.got[j]));
        return;
      }
      const err = s.status === "rejected" ? s.reason : new Error("a short keys-at answer");
      if (!(err instanceof ServiceError) || !(STALE.has(err.code) || PASSING.has(err.code))) {
        throw err;
      }
      why = err.message;
      wait ||= PASSING.has(err.code);
      todo.push(...groups[i].keys);
    });
    const again = todo.length > 0 && attempt < TXN_ROUTE_ATTEMPTS_MAX;
    if (again && wait) await d.sleep(Math.min(64, 2 ** attempt));
  }
  (await local).forEach((at, i) => found.set(toHex(here[i]), at));
  return keys.map((k) => found.get(toHex(k)) ?? missing());
}

function missing(): never {
  throw new Error("a key read at the start timestamp got no answer");
}

/**
 * What a Redis run across regions reads besides its strings (txn_storage.ts `LocalView`), from
 * what the reads at the start timestamp brought: a named key's meta record in database 0 and
 * its key index's newest entry. Nothing else is allowed there (TxnRedisStorage refuses it).
 */
export function viewOf(
  keys: readonly Uint8Array[],
  at: ReadonlyMap<string, KeyAt>,
  now: number,
): LocalView {
  const metas = new Map<string, Uint8Array | undefined>();
  const tops = new Map<string, readonly [Uint8Array, Uint8Array] | undefined>();
  let typed = false;
  for (const k of keys) {
    const a = at.get(toHex(k));
    metas.set(toHex(metaKey(0, k)), a?.meta);
    tops.set(toHex(indexKeyEnd(k)), a?.indexTop);
    typed ||= a?.meta !== undefined;
  }
  return {
    now,
    get: (engineKey) => metas.get(toHex(engineKey)),
    scan: (_start, end) => {
      const top = tops.get(toHex(end));
      return top === undefined ? [] : [[top[0], top[1]]];
    },
    mayHaveTyped: (db) => db !== 0 || typed,
  };
}
