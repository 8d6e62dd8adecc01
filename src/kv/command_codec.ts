/**
 * Log entry payloads of the replicated state machine: one encoded
 * `tinykv.v1.Command` per normal Raft entry. `validateCommand` is the gateway
 * check: ports run it before proposing, and apply runs it again so that a bad
 * entry gets an error result instead of crashing the node or changing data.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type BatchOp, type Command, CommandSchema } from "../gen/tinykv/v1/tinykv_pb.ts";

type BatchOps = readonly BatchOp[];
import {
  KV_KEY_BYTES_MAX,
  KV_VALUE_BYTES_MAX,
  WRITE_BATCH_BYTES_MAX,
  WRITE_BATCH_OPS_MAX,
} from "../limits.ts";
import { errorMessage } from "../util/errors.ts";

export type CommandInit = MessageInitShape<typeof CommandSchema>;

export function encodeCommand(command: CommandInit): Uint8Array {
  return toBinary(CommandSchema, create(CommandSchema, command));
}

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
    command = fromBinary(CommandSchema, data);
  } catch (err) {
    return invalid(`malformed command: ${errorMessage(err)}`);
  }
  return validateCommand(command) ?? command;
}

/** Why the command cannot be applied, or undefined when it is valid. */
export function validateCommand(command: Command): CommandProblem | undefined {
  const b = command.body;
  switch (b.case) {
    case "put":
      return tooLarge(checkKey(b.value.key) ?? checkValue(b.value.value));
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
    case undefined:
      return invalid("command has no body");
  }
}

function checkBatch(ops: BatchOps): CommandProblem | undefined {
  if (ops.length === 0) return invalid("batch is empty");
  if (ops.length > WRITE_BATCH_OPS_MAX) {
    return tooLarge(`batch has ${ops.length} operations; the limit is ${WRITE_BATCH_OPS_MAX}`);
  }
  let bytes = 0;
  for (const op of ops) {
    if (op.op.case === undefined) return invalid("batch operation has no body");
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

export function checkKey(key: Uint8Array): string | undefined {
  return key.length > KV_KEY_BYTES_MAX
    ? `key of ${key.length} bytes exceeds the ${KV_KEY_BYTES_MAX}-byte limit`
    : undefined;
}

export function checkValue(value: Uint8Array): string | undefined {
  return value.length > KV_VALUE_BYTES_MAX
    ? `value of ${value.length} bytes exceeds the ${KV_VALUE_BYTES_MAX}-byte limit`
    : undefined;
}
