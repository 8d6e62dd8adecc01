/** A KeyState as the wire's KeyValue message. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { KeyValueSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "./key_state.ts";

export type KeyValueInit = MessageInitShape<typeof KeyValueSchema>;

export function keyValueOf(s: KeyState): KeyValueInit {
  return {
    key: s.key,
    value: s.value,
    createRevision: BigInt(s.createRevision),
    modRevision: BigInt(s.modRevision),
    version: BigInt(s.version),
    lease: BigInt(s.lease),
    expireAtMs: BigInt(s.expireAtMs),
  };
}
