/**
 * The protobuf request handler's revision surface against a fake KvService:
 * txn and compact go to execute() after validation, get/scan carry the
 * revision to the service and every revision field back, and the state
 * machine's revision errors become COMPACTED / FUTURE_REVISION.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  type ClientResponse,
  ClientResponseSchema,
  CompareResult,
  CompareTarget,
  ErrorCode,
  TxnResponseSchema,
  type WriteResponse,
  WriteResponseSchema,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { TXN_COMPARES_MAX } from "../../src/limits.ts";
import type { KeyState } from "../../src/kv/key_state.ts";
import type { KvScanPage, KvScanRequest } from "../../src/kv/kv_scan.ts";
import { CompactedError, FutureRevisionError } from "../../src/kv/revision_errors.ts";
import { type Consistency, type KvService, ServiceError } from "../../src/server/kv_service.ts";
import { handleRequest } from "../../src/server/proto/request_handler.ts";
import { utf8 } from "../../src/util/bytes.ts";

const STATE: KeyState = {
  key: utf8("k"),
  value: utf8("v"),
  createRevision: 4,
  modRevision: 9,
  version: 3,
  expireAtMs: 0,
  lease: 77,
};

class FakeService implements KvService {
  readonly executed: CommandInit[] = [];
  readonly gets: { consistency: Consistency; revision?: number }[] = [];
  readonly scans: KvScanRequest[] = [];
  storeRevision = 20;
  getResult: () => Promise<KeyState | undefined> = () => Promise.resolve(STATE);

  write(): Promise<WriteResponse> {
    return Promise.reject(new Error("txn and compact must not take the write path"));
  }
  execute(command: CommandInit): Promise<ClientResponse["body"]> {
    this.executed.push(command);
    const revision = 12n;
    if (command.body?.case === "txn") {
      return Promise.resolve({
        case: "txn",
        value: create(TxnResponseSchema, { succeeded: true }),
      });
    }
    return Promise.resolve({ case: "write", value: create(WriteResponseSchema, { revision }) });
  }
  async get(_key: Uint8Array, consistency: Consistency, revision?: number) {
    this.gets.push({ consistency, revision });
    const state = await this.getResult();
    // As the node does: the state and the store revision read together.
    return { state, revision: revision || this.storeRevision };
  }
  scan(request: KvScanRequest): Promise<KvScanPage> {
    this.scans.push(request);
    const item = { ...STATE, version: STATE.version };
    return Promise.resolve({ items: [item], nextCursor: undefined, revision: 15 });
  }
  count() {
    return Promise.resolve(0);
  }
  readState<T>(): Promise<T> {
    return Promise.reject(new Error("not used"));
  }
  status() {
    const base = { id: 1, role: "leader" as const, term: 1, leader: 1, commitIndex: 20 };
    return { ...base, appliedIndex: 20, members: [], revision: this.storeRevision };
  }
}

type Body = MessageInitShape<typeof ClientRequestSchema>["body"];

function request(body: Body, sequence = 0n) {
  return create(ClientRequestSchema, { clientId: sequence, sequence, body });
}

async function handle(service: KvService, body: Body, sequence = 0n) {
  const r = await handleRequest(request(body, sequence), service, "linearizable");
  return create(ClientResponseSchema, r);
}

test("get at a revision: the revision reaches the service, every field comes back", async () => {
  const s = new FakeService();
  const r = await handle(s, { case: "get", value: { key: utf8("k"), revision: 9n } });
  assert.deepEqual(s.gets, [{ consistency: "linearizable", revision: 9 }]);
  assert.equal(r.body.case, "get");
  const g = r.body.value;
  assert.deepEqual(
    [g.found, g.modRevision, g.createRevision, g.version, g.lease, g.revision],
    [true, 9n, 4n, 3n, 77n, 9n],
  );
  const now = await handle(s, { case: "get", value: { key: utf8("k") } });
  assert.equal(now.body.case === "get" && now.body.value.revision, 20n, "the store revision");
  // A change applied while the read waits: the answer names the revision the read saw.
  s.getResult = () => {
    s.storeRevision = 25;
    return Promise.resolve(STATE);
  };
  const racing = await handle(s, { case: "get", value: { key: utf8("k") } });
  assert.equal(racing.body.case === "get" && racing.body.value.revision, 25n);
  s.getResult = () => Promise.resolve(undefined);
  const missing = await handle(s, { case: "get", value: { key: utf8("k") } });
  assert.equal(missing.body.case === "get" && missing.body.value.found, false);
});

test("scan at a revision: request and every item's revision fields", async () => {
  const s = new FakeService();
  const r = await handle(s, { case: "scan", value: { prefix: utf8("k"), revision: 15n } });
  assert.equal(s.scans[0].revision, 15);
  assert.equal(r.body.case, "scan");
  assert.equal(r.body.value.revision, 15n);
  const kv = r.body.value.items[0];
  assert.deepEqual([kv.modRevision, kv.createRevision, kv.version, kv.lease], [9n, 4n, 3n, 77n]);
});

test("revision errors become COMPACTED (with the oldest revision) and FUTURE_REVISION", async () => {
  const s = new FakeService();
  s.getResult = () => Promise.reject(new CompactedError(3, 8));
  const c = await handle(s, { case: "get", value: { key: utf8("k"), revision: 3n } });
  assert.equal(c.error?.code, ErrorCode.COMPACTED);
  assert.equal(c.error?.compactedRevision, 8n);
  s.getResult = () => Promise.reject(new FutureRevisionError(99, 20));
  const f = await handle(s, { case: "get", value: { key: utf8("k"), revision: 99n } });
  assert.equal(f.error?.code, ErrorCode.FUTURE_REVISION);
  assert.match(f.error?.message ?? "", /99/);
  // The node turns the state machine's errors into ServiceErrors: the revision survives.
  s.getResult = () => Promise.reject(new ServiceError(ErrorCode.COMPACTED, "gone", 0, "", 6));
  const n = await handle(s, { case: "get", value: { key: utf8("k"), revision: 3n } });
  assert.deepEqual([n.error?.code, n.error?.compactedRevision], [ErrorCode.COMPACTED, 6n]);
});

test("a revision past 2^53 is refused before the service sees it", async () => {
  const s = new FakeService();
  const r = await handle(s, { case: "get", value: { key: utf8("k"), revision: 1n << 60n } });
  assert.equal(r.error?.code, ErrorCode.INVALID_ARGUMENT);
  assert.equal(s.gets.length, 0);
});

test("txn and compact go to execute() with the client's session", async () => {
  const s = new FakeService();
  const txn = {
    compare: [],
    success: [{ op: { case: "put" as const, value: { key: utf8("a"), value: utf8("1") } } }],
    failure: [],
  };
  const t = await handle(s, { case: "txn", value: txn }, 5n);
  assert.equal(t.body.case, "txn");
  assert.equal(t.body.value.succeeded, true);
  const c = await handle(s, { case: "compact", value: { revision: 3n } }, 6n);
  assert.equal(c.body.case === "write" && c.body.value.revision, 12n);
  assert.deepEqual(s.executed.map((e) => [e.body?.case, e.clientId, e.sequence]), [
    ["txn", 5n, 5n],
    ["compact", 6n, 6n],
  ]);
});

test("a malformed or oversized txn is refused before execute()", async () => {
  const s = new FakeService();
  const bad = { compare: [{ key: utf8("k") }], success: [], failure: [] };
  const r = await handle(s, { case: "txn", value: bad }, 1n);
  assert.equal(r.error?.code, ErrorCode.INVALID_ARGUMENT);
  const compare = { key: utf8("k"), target: CompareTarget.VERSION, result: CompareResult.EQUAL };
  const many = { compare: Array(TXN_COMPARES_MAX + 1).fill(compare) };
  const big = await handle(s, { case: "txn", value: many }, 2n);
  assert.equal(big.error?.code, ErrorCode.TOO_LARGE);
  assert.equal(s.executed.length, 0);
});
