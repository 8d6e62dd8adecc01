/**
 * HSCAN key cursor [MATCH pattern] [COUNT count] (docs/resp.md#hscan-cursors).
 *
 * A cursor's low 32 bits are a position: the number of fields, in byte
 * order, that the scan has already examined. Any node, inside MULTI or not,
 * resumes a cursor by skipping that many fields (O(position)). The RESP port
 * also remembers, for the cursors it issued, the field each page ended at
 * (the cursor's high bits name the entry, resp_hscan.ts) and then resumes
 * right after that field, so a whole scan costs O(fields).
 *
 * Like Redis with a small hash (listpack encoding), a hash of at most 128
 * fields comes back whole in one reply with cursor 0.
 */
import { SCAN_LIMIT_MAX } from "../../../limits.ts";
import { fromUtf8 } from "../../../util/bytes.ts";
import { int64Arg, type RedisCommandSpec, type RunCommand, upper } from "../command.ts";
import type { RedisDb } from "../database.ts";
import { fail, SYNTAX } from "../errors.ts";
import { globMatch } from "../glob.ts";
import { RedisType } from "../meta_record.ts";
import { array, bulk, bulkText, type RedisReply } from "../reply.ts";

/** Redis's hash-max-listpack-entries: a hash this small is scanned in one call. */
const SMALL_HASH_FIELDS = 128;
export const POSITION_BITS = 32n;
const POSITION_MASK = (1n << POSITION_BITS) - 1n;
const ULONG_MAX = 2n ** 64n - 1n;

/** Redis's parseScanCursorOrReply: C strtoul over the whole text, no leading space. */
export function parseCursor(arg: Uint8Array): bigint {
  const m = /^(?:([+-]?)(\d+))?$/.exec(fromUtf8(arg));
  if (m === null) fail("ERR invalid cursor");
  const n = m[2] === undefined ? 0n : BigInt(m[2]);
  if (n > ULONG_MAX) fail("ERR invalid cursor");
  return m[1] === "-" ? (2n ** 64n - n) & ULONG_MAX : n;
}

export const positionOf = (cursor: bigint): number => Number(cursor & POSITION_MASK);

/** Options come after the key lookup, as in Redis: a missing key ignores bad ones. */
function scanOptions(args: readonly Uint8Array[]) {
  let pattern: Uint8Array | undefined, count = 10n;
  for (let i = 3; i < args.length; i += 2) {
    const opt = upper(args[i]);
    if (i + 1 >= args.length) fail(SYNTAX);
    if (opt === "COUNT") {
      count = int64Arg(args[i + 1]);
      if (count < 1n) fail(SYNTAX);
    } else if (opt === "MATCH") {
      const p = args[i + 1];
      pattern = p.length === 1 && p[0] === 0x2a ? undefined : p;
    } else fail(SYNTAX);
  }
  return { pattern, count: Number(count < BigInt(SCAN_LIMIT_MAX) ? count : SCAN_LIMIT_MAX) };
}

/** Where the next page starts: fields examined so far, and the last one. */
export interface ScanResume {
  readonly position: number;
  readonly after: Uint8Array;
}

export interface HashScanPage {
  /** field, value, field, value... (MATCH applied) */
  readonly items: RedisReply[];
  /** Undefined when the scan is complete (cursor 0). */
  readonly next?: ScanResume;
}

function* skip<T>(it: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of it) if (i++ >= n) yield x;
}

/**
 * One page of HSCAN. `after`, when the caller knows it, is the field the
 * cursor's page ended at: the scan resumes right after it instead of
 * skipping `position` fields.
 */
export function scanHash(
  db: RedisDb,
  args: readonly Uint8Array[],
  after?: Uint8Array,
): HashScanPage {
  const cursor = parseCursor(args[2]);
  const hash = db.collection(args[1], RedisType.Hash);
  if (hash === undefined) return { items: [] };
  const { pattern, count } = scanOptions(args);
  const small = hash.count <= SMALL_HASH_FIELDS;
  const position = small ? 0 : positionOf(cursor);
  const fields = small || after === undefined
    ? skip(db.members(hash), position)
    : db.members(hash, after);
  const items: RedisReply[] = [];
  let examined = 0, last: Uint8Array | undefined;
  for (const [field, value] of fields) {
    if (!small && examined === count) {
      const next = { position: position + examined, after: last ?? field };
      if (BigInt(next.position) > POSITION_MASK) fail("ERR HSCAN past 4294967295 fields");
      return { items, next };
    }
    examined++;
    last = field;
    if (pattern === undefined || globMatch(pattern, field)) items.push(bulk(field), bulk(value));
  }
  return { items };
}

export function scanReply(cursor: bigint | number, items: RedisReply[]): RedisReply {
  return array([bulkText(String(cursor)), array(items)]);
}

/** Inside MULTI, or through runRedis: the cursor is the position alone. */
const hscan: RunCommand = (c, args) => {
  const page = scanHash(c.db, args);
  return scanReply(page.next?.position ?? 0, page.items);
};

export const HASH_SCAN_COMMANDS: Record<string, RedisCommandSpec> = {
  hscan: { arity: -3, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: hscan },
};
