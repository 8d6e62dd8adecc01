/**
 * The messages the client port's hot path reads and writes by hand (client_hot_codec.ts): a client
 * request whose body is a put, get or delete, and a response whose body is a write or a get
 * result. Field numbers and names are those of proto/tinykv/v1/tinykv.proto;
 * tests/wire/client_hot_codec_test.ts checks each spec against the generated schema.
 */
import { emptyPutRequest } from "./put_request_decode.ts";

export type ScalarKind = "u64" | "u32" | "enum" | "bool" | "bytes" | "string";

export type FieldSpec =
  | { readonly no: number; readonly name: string; readonly kind: ScalarKind }
  | { readonly no: number; readonly name: string; readonly kind: "message"; readonly spec: Spec }
  /** A member of the message's one oneof, stored as `{ case, value }` under `name`. */
  | {
    readonly no: number;
    readonly name: string;
    readonly kind: "oneof";
    readonly case: string;
    readonly spec: Spec;
  };

export interface Spec {
  readonly typeName: string;
  /** In field-number order: what the codec reads and writes. */
  readonly fields: readonly FieldSpec[];
  /** The message with every default, shaped as protobuf-es's `create()` makes it. */
  readonly make: () => Record<string, unknown>;
}

const NO_BYTES = new Uint8Array(0);

export const REGION_EPOCH: Spec = {
  typeName: "tinykv.v1.RegionEpoch",
  fields: [
    { no: 1, name: "version", kind: "u64" },
    { no: 2, name: "confVer", kind: "u64" },
  ],
  make: () => ({ $typeName: "tinykv.v1.RegionEpoch", version: 0n, confVer: 0n }),
};

export const REGION_ROUTE: Spec = {
  typeName: "tinykv.v1.RegionRoute",
  fields: [
    { no: 1, name: "regionId", kind: "u64" },
    { no: 2, name: "epoch", kind: "message", spec: REGION_EPOCH },
  ],
  make: () => ({ $typeName: "tinykv.v1.RegionRoute", regionId: 0n }),
};

export const PUT_REQUEST: Spec = {
  typeName: "tinykv.v1.PutRequest",
  fields: [
    { no: 1, name: "key", kind: "bytes" },
    { no: 2, name: "value", kind: "bytes" },
    { no: 3, name: "condition", kind: "enum" },
    { no: 4, name: "returnPrevious", kind: "bool" },
    { no: 5, name: "lease", kind: "u64" },
    { no: 6, name: "ttlMs", kind: "u64" },
    { no: 7, name: "expireAtMs", kind: "u64" },
    { no: 8, name: "keepTtl", kind: "bool" },
  ],
  make: emptyPutRequest, // put_request_decode.ts reads it
};

export const GET_REQUEST: Spec = {
  typeName: "tinykv.v1.GetRequest",
  fields: [
    { no: 1, name: "key", kind: "bytes" },
    { no: 2, name: "consistency", kind: "enum" },
    { no: 3, name: "revision", kind: "u64" },
  ],
  make: () => ({ $typeName: "tinykv.v1.GetRequest", key: NO_BYTES, consistency: 0, revision: 0n }),
};

export const DELETE_REQUEST: Spec = {
  typeName: "tinykv.v1.DeleteRequest",
  fields: [{ no: 1, name: "key", kind: "bytes" }],
  make: () => ({ $typeName: "tinykv.v1.DeleteRequest", key: NO_BYTES }),
};

export const CLIENT_REQUEST: Spec = {
  typeName: "tinykv.v1.ClientRequest",
  fields: [
    { no: 1, name: "requestId", kind: "u64" },
    { no: 2, name: "clientId", kind: "u64" },
    { no: 3, name: "sequence", kind: "u64" },
    { no: 4, name: "timeoutMs", kind: "u32" },
    { no: 5, name: "ackedSequence", kind: "u64" },
    { no: 6, name: "adminToken", kind: "string" },
    { no: 7, name: "authToken", kind: "string" },
    { no: 8, name: "route", kind: "message", spec: REGION_ROUTE },
    { no: 10, name: "body", kind: "oneof", case: "put", spec: PUT_REQUEST },
    { no: 11, name: "body", kind: "oneof", case: "get", spec: GET_REQUEST },
    { no: 12, name: "body", kind: "oneof", case: "delete", spec: DELETE_REQUEST },
  ],
  make: () => ({
    $typeName: "tinykv.v1.ClientRequest",
    requestId: 0n,
    clientId: 0n,
    sequence: 0n,
    timeoutMs: 0,
    ackedSequence: 0n,
    body: { case: undefined },
    adminToken: "",
    authToken: "",
  }),
};

export const WRITE_RESPONSE: Spec = {
  typeName: "tinykv.v1.WriteResponse",
  fields: [
    { no: 1, name: "index", kind: "u64" },
    { no: 2, name: "existed", kind: "bool" },
    { no: 3, name: "applied", kind: "bool" },
    { no: 4, name: "previousValue", kind: "bytes" },
    // int64: a negative counter is a 10-byte varint, which the reader leaves to protobuf-es.
    { no: 5, name: "counter", kind: "u64" },
    { no: 6, name: "deleted", kind: "u32" },
    { no: 7, name: "revision", kind: "u64" },
  ],
  make: () => ({
    $typeName: "tinykv.v1.WriteResponse",
    index: 0n,
    existed: false,
    applied: false,
    previousValue: NO_BYTES,
    counter: 0n,
    deleted: 0,
    revision: 0n,
  }),
};

export const GET_RESPONSE: Spec = {
  typeName: "tinykv.v1.GetResponse",
  fields: [
    { no: 1, name: "found", kind: "bool" },
    { no: 2, name: "value", kind: "bytes" },
    { no: 3, name: "modRevision", kind: "u64" },
    { no: 4, name: "createRevision", kind: "u64" },
    { no: 5, name: "version", kind: "u64" },
    { no: 6, name: "lease", kind: "u64" },
    { no: 7, name: "revision", kind: "u64" },
    { no: 8, name: "expireAtMs", kind: "u64" },
  ],
  make: () => ({
    $typeName: "tinykv.v1.GetResponse",
    found: false,
    value: NO_BYTES,
    modRevision: 0n,
    createRevision: 0n,
    version: 0n,
    lease: 0n,
    revision: 0n,
    expireAtMs: 0n,
  }),
};

/** A response without an error (an error carries regions: protobuf-es reads those). */
export const CLIENT_RESPONSE: Spec = {
  typeName: "tinykv.v1.ClientResponse",
  fields: [
    { no: 1, name: "requestId", kind: "u64" },
    { no: 10, name: "body", kind: "oneof", case: "write", spec: WRITE_RESPONSE },
    { no: 11, name: "body", kind: "oneof", case: "get", spec: GET_RESPONSE },
  ],
  make: () => ({ $typeName: "tinykv.v1.ClientResponse", requestId: 0n, body: { case: undefined } }),
};
