/**
 * Log entry payloads of the replicated state machine: one encoded
 * `tinykv.v1.Command` per normal Raft entry. `validateCommand` is the gateway
 * check: ports run it before proposing, and apply runs it again so that a bad
 * entry gets an error result instead of crashing the node or changing data.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  type BatchOp,
  type Command,
  CommandSchema,
  type RedisRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";

type BatchOps = readonly BatchOp[];
import {
  KV_KEY_BYTES_MAX,
  KV_VALUE_BYTES_MAX,
  REDIS_DATABASES,
  REDIS_MULTI_COMMANDS_MAX,
  REDIS_WATCHED_KEYS_MAX,
  RESP_COMMAND_BYTES_MAX,
  WRITE_BATCH_BYTES_MAX,
  WRITE_BATCH_OPS_MAX,
} from "../limits.ts";
import { RESP_WRITE_BATCH_REQUESTS_MAX } from "../limits_ops.ts";
import { DecodeError, varintLength, writeVarint } from "../util/coding.ts";
import { errorMessage } from "../util/errors.ts";
import {
  checkExpire,
  checkExpireKeys,
  checkLeaseGrant,
  checkPutExpiry,
  checkTxn,
} from "./coordination_checks.ts";
import { u64ToNumber } from "../util/ids.ts";
import { encodeRedisCommand } from "./redis_command_encoder.ts";
import { decodeRedisCommand } from "./redis_command_decoder.ts";
import { decodePutCommand } from "./put_command_decoder.ts";
import { escapedLength } from "./mvcc_keys.ts";
import { withHeadroom } from "./entry_headroom.ts";

export type CommandInit = MessageInitShape<typeof CommandSchema>;

/** `headroom`: free bytes left before a put or Redis command (entry_headroom.ts). */
export function encodeCommand(command: CommandInit, headroom = 0): Uint8Array {
  return encodePutCommand(command, headroom) ?? encodeRedisCommand(command, headroom) ??
    toBinary(CommandSchema, create(CommandSchema, command));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A put, the most frequent command, encoded by hand in one exact-size buffer:
 * the same bytes protobuf-es writes (fields in number order, defaults left
 * out; tests/kv checks it), without its growing buffer and final copy, which
 * for a 100 MiB value were 228 MiB of transient memory. Undefined for other
 * commands and ids past 2^53.
 */
function encodePutCommand(c: CommandInit, headroom: number): Uint8Array | undefined {
  const b = c.body;
  if (b?.case !== "put" || b.value === undefined) return undefined;
  // Puts with an expiry are rare next to plain ones: protobuf-es encodes them.
  if ((b.value.ttlMs ?? 0n) !== 0n || (b.value.expireAtMs ?? 0n) !== 0n || b.value.keepTtl) {
    return undefined;
  }
  const ids = [
    c.clientId ?? 0n,
    c.sequence ?? 0n,
    c.ackedSequence ?? 0n,
    c.proposedAtMs ?? 0n,
    b.value.lease ?? 0n,
  ];
  if (ids.some((n) => n < 0n || n > SAFE)) return undefined;
  const [clientId, sequence, acked, proposedAt, lease] = ids.map(Number);
  const key = b.value.key ?? EMPTY, value = b.value.value ?? EMPTY;
  const condition = b.value.condition ?? 0, returnPrevious = b.value.returnPrevious ?? false;
  const field = (n: number) => (n > 0 ? 1 + varintLength(n) : 0);
  const bytesField = (v: Uint8Array) => (v.length > 0 ? 1 + varintLength(v.length) + v.length : 0);
  const putLen = bytesField(key) + bytesField(value) + field(condition) +
    (returnPrevious ? 2 : 0) + field(lease);
  const head = field(clientId) + field(sequence) + field(acked) + field(proposedAt);
  const out = withHeadroom(head + 1 + varintLength(putLen) + putLen, headroom);
  let at = 0;
  const varintField = (tag: number, n: number) => {
    if (n === 0) return;
    out[at++] = tag;
    at = writeVarint(out, at, n);
  };
  const bytes = (tag: number, v: Uint8Array) => {
    if (v.length === 0) return;
    out[at++] = tag;
    at = writeVarint(out, at, v.length);
    out.set(v, at);
    at += v.length;
  };
  varintField(0x08, clientId); // client_id = 1
  varintField(0x10, sequence); // sequence = 2
  varintField(0x18, acked); // acked_sequence = 3
  varintField(0x20, proposedAt); // proposed_at_ms = 4
  out[at++] = 0x52; // put = 10, length-delimited
  at = writeVarint(out, at, putLen);
  bytes(0x0a, key); // key = 1
  bytes(0x12, value); // value = 2
  varintField(0x18, condition); // condition = 3
  varintField(0x20, returnPrevious ? 1 : 0); // return_previous = 4
  varintField(0x28, lease); // lease = 5
  return out;
}

const EMPTY = new Uint8Array(0);

/** Why a command cannot be applied: a size limit (TOO_LARGE) or a malformed request. */
export interface CommandProblem {
  readonly tooLarge: boolean;
  readonly message: string;
}

const tooLarge = (message: string | undefined): CommandProblem | undefined =>
  message === undefined ? undefined : { tooLarge: true, message };
const invalid = (message: string): CommandProblem => ({ tooLarge: false, message });

/** Decodes an entry payload, or returns the reason it is not a valid command. */
export function decodeCommand(data: Uint8Array): Command | CommandProblem {
  let command: Command;
  try {
    command = decodeRedisCommand(data) ?? decodePutCommand(data) ??
      fromBinary(CommandSchema, data);
  } catch (err) {
    return invalid(`malformed command: ${errorMessage(err)}`);
  }
  return validateCommand(command) ?? command;
}

/** Why the command cannot be applied, or undefined when it is valid. */
/** What validateCommand reads: a Command, or a request's session fields and body as they are. */
export type CommandFields = Pick<Command, "clientId" | "sequence" | "ackedSequence" | "body">;

export function validateCommand(command: CommandFields): CommandProblem | undefined {
  const ids = checkIds(command);
  if (ids !== undefined) return ids;
  const b = command.body;
  switch (b.case) {
    case "put":
      return tooLarge(checkKey(b.value.key) ?? checkValue(b.value.value)) ??
        checkPutExpiry(b.value);
    case "expire":
      return checkExpire(b.value, checkKey);
    case "expireKeys":
      return checkExpireKeys(b.value, checkKey);
    case "delete":
    case "increment":
      return tooLarge(checkKey(b.value.key));
    case "compareAndSet": {
      const v = b.value;
      if (v.expect.case === undefined) return invalid("compare-and-set needs an expected value");
      if (v.action.case === undefined) return invalid("compare-and-set needs an action");
      return tooLarge(
        checkKey(v.key) ??
          (v.expect.case === "expectedValue" ? checkValue(v.expect.value) : undefined) ??
          (v.action.case === "newValue" ? checkValue(v.action.value) : undefined),
      );
    }
    case "batch":
      return checkBatch(b.value.ops);
    case "txn":
      return checkTxn(b.value, checkKey, checkValue);
    case "compact":
      return b.value.revision === 0n ? invalid("compact needs a revision") : undefined;
    case "leaseGrant":
      return checkLeaseGrant(b.value);
    case "leaseRevoke":
      return b.value.id === 0n ? invalid("lease revoke needs a lease id") : undefined;
    case "redis":
      return checkRedis(b.value);
    case "redisBatch":
      return checkRedisBatch(b.value.requests);
    case undefined:
      return invalid("command has no body");
  }
}

/** A Redis request's shape; the commands themselves answer their own errors at apply. */
function checkRedis(r: RedisRequest): CommandProblem | undefined {
  if (r.db >= REDIS_DATABASES) return invalid(`database ${r.db} is out of range`);
  if (r.commands.length === 0) return invalid("a Redis request needs a command");
  if (r.commands.length > REDIS_MULTI_COMMANDS_MAX) {
    return { message: `more than ${REDIS_MULTI_COMMANDS_MAX} Redis commands`, tooLarge: true };
  }
  if (r.watches.length > REDIS_WATCHED_KEYS_MAX) {
    return { message: `more than ${REDIS_WATCHED_KEYS_MAX} watched keys`, tooLarge: true };
  }
  let bytes = 0;
  for (const c of r.commands) {
    if (c.args.length === 0) return invalid("a Redis command needs a name");
    for (const a of c.args) bytes += a.length;
  }
  for (const w of r.watches) {
    if (w.db >= REDIS_DATABASES) return invalid(`database ${w.db} is out of range`);
    u64ToNumber(w.revision, "watched revision");
    bytes += w.key.length;
  }
  if (bytes > RESP_COMMAND_BYTES_MAX) {
    return {
      message: `Redis request of ${bytes} bytes is over ${RESP_COMMAND_BYTES_MAX}`,
      tooLarge: true,
    };
  }
  return undefined;
}

/**
 * A batch of Redis requests (RedisBatch): every request valid on its own, and together no
 * more commands and bytes than one request may carry (so one entry's apply stays bounded).
 */
function checkRedisBatch(requests: readonly RedisRequest[]): CommandProblem | undefined {
  if (requests.length === 0) return invalid("a Redis batch needs a request");
  if (requests.length > RESP_WRITE_BATCH_REQUESTS_MAX) {
    return tooLarge(`more than ${RESP_WRITE_BATCH_REQUESTS_MAX} requests in a Redis batch`);
  }
  let commands = 0, bytes = 0;
  for (const [i, r] of requests.entries()) {
    const problem = checkRedis(r);
    if (problem !== undefined) return { ...problem, message: `request ${i}: ${problem.message}` };
    commands += r.commands.length;
    for (const c of r.commands) for (const a of c.args) bytes += a.length;
  }
  if (commands > REDIS_MULTI_COMMANDS_MAX) {
    return tooLarge(`more than ${REDIS_MULTI_COMMANDS_MAX} Redis commands in a batch`);
  }
  return tooLarge(
    bytes > RESP_COMMAND_BYTES_MAX
      ? `Redis batch of ${bytes} bytes is over ${RESP_COMMAND_BYTES_MAX}`
      : undefined,
  );
}

/**
 * The 64-bit fields go through the ids gateway (util/ids.ts): past 2^53 a
 * number would round, and two clients' ids could meet in one session.
 */
function checkIds(command: CommandFields): CommandProblem | undefined {
  const b = command.body;
  try {
    u64ToNumber(command.clientId, "client id");
    u64ToNumber(command.sequence, "sequence");
    u64ToNumber(command.ackedSequence, "acked sequence");
    if (b.case === "compareAndSet" && b.value.expect.case === "expectedModRevision") {
      u64ToNumber(b.value.expect.value, "expected mod revision");
    }
    if (b.case === "put") u64ToNumber(b.value.lease, "lease id");
    if (b.case === "compact") u64ToNumber(b.value.revision, "revision");
    if (b.case === "leaseRevoke") u64ToNumber(b.value.id, "lease id");
  } catch (err) {
    if (err instanceof DecodeError) return invalid(err.message);
    throw err;
  }
  return undefined;
}

function checkBatch(ops: BatchOps): CommandProblem | undefined {
  if (ops.length === 0) return invalid("batch is empty");
  if (ops.length > WRITE_BATCH_OPS_MAX) {
    return tooLarge(`batch has ${ops.length} operations; the limit is ${WRITE_BATCH_OPS_MAX}`);
  }
  let bytes = 0;
  for (const op of ops) {
    if (op.op.case === undefined) return invalid("batch operation has no body");
    if (op.op.case === "put" && op.op.value.lease !== 0n) {
      return invalid("a put in a batch takes no lease (use a transaction)");
    }
    const why = checkKey(op.op.value.key) ??
      (op.op.case === "put" ? checkValue(op.op.value.value) : undefined);
    if (why !== undefined) return tooLarge(why);
    bytes += op.op.value.key.length + (op.op.case === "put" ? op.op.value.value.length : 0);
  }
  // Leave room for the engine's per-entry overhead inside its own batch limit.
  const max = WRITE_BATCH_BYTES_MAX - 64 * ops.length - 1024;
  return tooLarge(
    bytes > max ? `batch of ${bytes} bytes exceeds the ${max}-byte limit` : undefined,
  );
}

/**
 * Counted escaped: the key index (0x04, mvcc_keys.ts) stores each 0x00 byte of
 * a key as two, and an engine key past KEY_BYTES_MAX would stop the node at apply.
 */
export function checkKey(key: Uint8Array): string | undefined {
  const n = escapedLength(key);
  if (n <= KV_KEY_BYTES_MAX) return undefined;
  const escaped = n === key.length ? "" : ` (${n} with each 0x00 byte counted twice)`;
  return `key of ${key.length} bytes${escaped} exceeds the ${KV_KEY_BYTES_MAX}-byte limit`;
}

export function checkValue(value: Uint8Array): string | undefined {
  return value.length > KV_VALUE_BYTES_MAX
    ? `value of ${value.length} bytes exceeds the ${KV_VALUE_BYTES_MAX}-byte limit`
    : undefined;
}
