/**
 * OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT/HELP, RANDOMKEY, TOUCH. TinyKV does
 * not keep Redis's in-memory encodings, so OBJECT ENCODING answers what Redis
 * 7.0 with its built-in defaults would for the value as it is now (Redis never
 * converts back, so a value that shrank can differ), and TinyKV tracks no
 * access time: IDLETIME is always 0.
 */
import { REDIS_RANDOMKEY_SAMPLE_MAX } from "../../../limits.ts";
import { compareBytes, fromUtf8 } from "../../../util/bytes.ts";
import {
  type ExecContext,
  isIntegerText,
  type RedisCommandSpec,
  type RunCommand,
} from "../command.ts";
import type { KeyEntry } from "../database.ts";
import { fail, wrongArity } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { bulk, bulkText, int, NULL, type RedisReply, simple } from "../reply.ts";

/** Redis 7.0's built-in defaults (redis.conf ships other values for hashes). */
const HASH_LISTPACK_ENTRIES = 512;
const HASH_LISTPACK_VALUE = 64;
const SET_INTSET_ENTRIES = 512;
/** Strings up to this long are allocated with their object (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_MAX = 44;
/** Redis shares the objects of the integers 0 to 9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10_000n;
const SHARED_REFCOUNT = 2147483647;

function isIntEncoded(value: Uint8Array): boolean {
  return value.length <= 20 && isIntegerText(fromUtf8(value));
}

function encoding(c: ExecContext, e: KeyEntry): string {
  if (e.type === RedisType.String) {
    if (isIntEncoded(e.value)) return "int";
    return e.value.length <= EMBSTR_MAX ? "embstr" : "raw";
  }
  const coll = c.db.collection(e.key, e.type);
  if (coll === undefined) return "hashtable";
  if (e.type === RedisType.Hash) {
    if (coll.count > HASH_LISTPACK_ENTRIES) return "hashtable";
    for (const [field, value] of c.db.members(coll)) {
      if (field.length > HASH_LISTPACK_VALUE || value.length > HASH_LISTPACK_VALUE) {
        return "hashtable";
      }
    }
    return "listpack";
  }
  if (coll.count > SET_INTSET_ENTRIES) return "hashtable";
  for (const [member] of c.db.members(coll)) if (!isIntEncoded(member)) return "hashtable";
  return "intset";
}

function refcount(e: KeyEntry): number {
  if (e.type !== RedisType.String || !isIntEncoded(e.value)) return 1;
  const n = BigInt(fromUtf8(e.value));
  return n >= 0n && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}

const LFU_ONLY = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
  "Please note that when switching between policies at runtime LRU and LFU data will take " +
  "some time to adjust.";

const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    The encoding Redis 7.0 would use for the key's value.",
  "FREQ <key>",
  "    Not tracked by TinyKV (Redis: only with an LFU maxmemory policy).",
  "IDLETIME <key>",
  "    Always 0: TinyKV does not track access times.",
  "REFCOUNT <key>",
  "    The reference count Redis would report for the value.",
  "HELP",
  "    Prints this help.",
];

const object: RunCommand = (c, args): RedisReply => {
  const sub = fromUtf8(args[1]).toLowerCase();
  const known = ["encoding", "freq", "idletime", "refcount", "help"];
  if (!known.includes(sub)) {
    fail(`ERR unknown subcommand '${fromUtf8(args[1])}'. Try OBJECT HELP.`);
  }
  if (args.length !== (sub === "help" ? 2 : 3)) fail(wrongArity(`object|${sub}`));
  if (sub === "help") return { k: "array", items: HELP.map(simple) };
  const e = c.db.lookup(args[2]);
  if (e === undefined) return NULL;
  if (sub === "encoding") return bulkText(encoding(c, e));
  if (sub === "refcount") return int(refcount(e));
  if (sub === "idletime") return int(0);
  return fail(LFU_ONLY);
};

/** A key picked among up to REDIS_RANDOMKEY_SAMPLE_MAX keys from a random place. */
const randomkey: RunCommand = (c) => {
  const start = new Uint8Array(4).map(() => Math.floor(c.storage.random() * 256));
  const sample: Uint8Array[] = [];
  for (const e of c.db.keys({ key: start, inclusive: true })) {
    if (sample.push(e.key) >= REDIS_RANDOMKEY_SAMPLE_MAX) break;
  }
  if (sample.length < REDIS_RANDOMKEY_SAMPLE_MAX) {
    // Wrap around: the keys before the random place, up to where the first walk began.
    for (const e of c.db.keys()) {
      if (sample.length >= REDIS_RANDOMKEY_SAMPLE_MAX || compareBytes(e.key, start) >= 0) break;
      sample.push(e.key);
    }
  }
  if (sample.length === 0) return NULL;
  return bulk(sample[Math.floor(c.storage.random() * sample.length)]);
};

const touch: RunCommand = (c, args) =>
  int(args.slice(1).filter((k) => c.db.lookup(k) !== undefined).length);

const R = ["readonly"];
export const KEY_OBJECT_COMMANDS: Record<string, RedisCommandSpec> = {
  object: { arity: -2, kind: "read", flags: R, keys: [2, 2, 1], run: object },
  randomkey: { arity: 1, kind: "read", flags: [...R, "random"], keys: [0, 0, 0], run: randomkey },
  touch: { arity: -2, kind: "read", flags: [...R, "fast"], keys: [1, -1, 1], run: touch },
};
