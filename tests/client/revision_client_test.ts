/**
 * The client library's revision surface against a scripted node: getEntry,
 * put with a lease, scan at a revision, txn (request shape, result shape,
 * at-most-once on retry), compact, and the COMPACTED / FUTURE_REVISION errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ClientRequest,
  CompareResult,
  CompareTarget,
  ErrorCode,
  ReadConsistency,
} from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvClient, type TxnCompare } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { FakeNode, type Handler } from "./fake_node.ts";

const platform = getPlatform();

const KV = {
  key: utf8("k"),
  value: utf8("v"),
  modRevision: 9n,
  createRevision: 4n,
  version: 3n,
  lease: 77n,
  expireAtMs: 1_767_225_600_000n,
};
const ENTRY = {
  key: utf8("k"),
  value: utf8("v"),
  createRevision: 4,
  modRevision: 9,
  version: 3,
  lease: 77,
  expireAtMs: 1_767_225_600_000,
};

/** Bytes as text, recursively: decoded bytes may be Buffers, which deepEqual tells apart. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return fromUtf8(x);
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  }
  return x;
}

/** What the client sent, without its background member-list refreshes. */
const sentBy = (node: FakeNode) => node.requests.filter((r) => r.body.case !== "status");

async function withNode(
  handler: Handler,
  run: (c: TinyKvClient, node: FakeNode) => Promise<void>,
  endpoints: (node: FakeNode) => string[] = (n) => [n.address],
) {
  const node = await new FakeNode(handler).start();
  const c = new TinyKvClient({
    endpoints: endpoints(node),
    net: platform.net,
    clock: platform.clock,
    seed: 3,
    deadlineMs: 3000,
    attemptTimeoutMs: 500,
  });
  try {
    await run(c, node);
  } finally {
    c.close();
    await node.stop();
  }
}

test("getEntry reads at a revision and returns every field; get keeps returning the value", async () => {
  const handler: Handler = (req, reply) => {
    const found = req.body.case === "get" && fromUtf8(req.body.value.key) === "k";
    const { key: _k, ...fields } = KV;
    reply({ body: { case: "get", value: found ? { found, ...fields, revision: 9n } : {} } });
  };
  await withNode(handler, async (c, node) => {
    const entry = await c.getEntry("k", { revision: 9, consistency: "serializable" });
    assert.deepEqual(plain(entry), plain(ENTRY));
    const sent = sentBy(node)[0].body;
    assert.equal(sent.case, "get");
    assert.equal(sent.value.revision, 9n);
    assert.equal(sent.value.consistency, ReadConsistency.SERIALIZABLE);
    assert.equal(fromUtf8((await c.get("k")) ?? utf8("?")), "v");
    assert.equal(await c.getEntry("missing"), undefined);
    const second = sentBy(node)[1].body;
    assert.equal(second.case === "get" && second.value.revision, 0n);
  });
});

test("put sends its lease; scan sends its revision and returns revision fields", async () => {
  const handler: Handler = (req, reply) => {
    if (req.body.case === "put") return reply({ body: { case: "write", value: { index: 5n } } });
    reply({ body: { case: "scan", value: { items: [KV], revision: 12n } } });
  };
  await withNode(handler, async (c, node) => {
    assert.equal(await c.put("k", "v", { lease: 77 }), 5);
    const put = sentBy(node)[0].body;
    assert.equal(put.case === "put" && put.value.lease, 77n);
    const page = await c.scan({ prefix: "k", revision: 12 });
    assert.deepEqual(plain(page.items), plain([ENTRY]));
    assert.equal(page.revision, 12);
    const scan = sentBy(node)[1].body;
    assert.equal(
      scan.case === "scan" && scan.value.revision,
      12n,
    );
  });
});

test("txn: the friendly shape becomes the wire request, the wire result comes back typed", async () => {
  const handler: Handler = (_req, reply) =>
    reply({
      body: {
        case: "txn",
        value: {
          succeeded: false,
          revision: 20n,
          results: [
            { result: { case: "put", value: { prevKv: KV } } },
            { result: { case: "deleteRange", value: { deleted: 2n, prevKvs: [KV] } } },
            { result: { case: "range", value: { kvs: [KV], more: true, count: 5n } } },
            { result: { case: "put", value: {} } },
          ],
        },
      },
    });
  await withNode(handler, async (c, node) => {
    const result = await c.txn({
      compare: [
        { key: "a", target: "value", result: "=", value: "x" },
        { key: "b", target: "modRevision", result: "<", number: 7 },
        { key: "c", target: "version", result: "!=", number: 0 },
        { key: "d", target: "createRevision", result: ">", number: 2 },
        { key: "e", target: "lease", result: "=", number: 9 },
      ],
      success: [{ put: { key: "a", value: "y", lease: 9 } }],
      failure: [
        { delete: { key: "p/", rangeEnd: "p0", prevKv: true } },
        { range: { key: "q", limit: 2, keysOnly: true } },
      ],
    });
    assert.deepEqual(
      plain(result),
      plain({
        succeeded: false,
        revision: 20,
        results: [
          { put: { prevKv: ENTRY } },
          { delete: { deleted: 2, prevKvs: [ENTRY] } },
          { range: { kvs: [ENTRY], more: true, count: 5 } },
          { put: {} },
        ],
      }),
    );
    const req = sentBy(node)[0];
    assert.ok(req.clientId > 0n && req.sequence > 0n, "a txn is a write with a session");
    assert.equal(req.body.case, "txn");
    const t = req.body.value;
    assert.deepEqual(
      t.compare.map((
        x,
      ) => [fromUtf8(x.key), x.target, x.result, x.operand.case, plain(x.operand.value)]),
      [
        ["a", CompareTarget.VALUE, CompareResult.EQUAL, "value", "x"],
        ["b", CompareTarget.MOD_REVISION, CompareResult.LESS, "modRevision", 7n],
        ["c", CompareTarget.VERSION, CompareResult.NOT_EQUAL, "version", 0n],
        ["d", CompareTarget.CREATE_REVISION, CompareResult.GREATER, "createRevision", 2n],
        ["e", CompareTarget.LEASE, CompareResult.EQUAL, "lease", 9n],
      ],
    );
    const put = t.success[0].op;
    assert.ok(put.case === "put");
    assert.deepEqual([fromUtf8(put.value.value), put.value.lease], ["y", 9n]);
    const del = t.failure[0].op;
    assert.ok(del.case === "deleteRange");
    assert.deepEqual([fromUtf8(del.value.rangeEnd), del.value.prevKv], ["p0", true]);
    const range = t.failure[1].op;
    assert.ok(range.case === "range");
    assert.deepEqual([range.value.limit, range.value.keysOnly, range.value.countOnly], [
      2,
      true,
      false,
    ]);
  });
});

test("txn is at-most-once: a retry after a lost answer reuses the session and applies once", async () => {
  const applied = new Map<string, number>();
  let dropped = 0;
  const handler: Handler = (req: ClientRequest, reply, conn) => {
    const session = `${req.clientId}/${req.sequence}`;
    if (!applied.has(session)) applied.set(session, applied.size + 10);
    // The first attempt is applied but its answer is lost with the connection.
    if (dropped++ === 0) return conn.close();
    const revision = BigInt(applied.get(session) ?? 0);
    reply({ body: { case: "txn", value: { succeeded: true, revision } } });
  };
  await withNode(handler, async (c, node) => {
    const r = await c.txn({ success: [{ put: { key: "a", value: "1" } }] });
    assert.equal(r.revision, 10);
    assert.equal(sentBy(node).length, 2, "one retry");
    const [first, second] = sentBy(node);
    assert.deepEqual([second.clientId, second.sequence], [first.clientId, first.sequence]);
    assert.equal(applied.size, 1);
  });
});

test("compact sends the revision; COMPACTED carries the oldest readable revision", async () => {
  const handler: Handler = (req, reply) => {
    if (req.body.case === "compact") {
      return reply({ body: { case: "write", value: { revision: 30n } } });
    }
    const revision = req.body.case === "get" ? req.body.value.revision : 0n;
    if (revision < 8n) {
      const error = { code: ErrorCode.COMPACTED, message: "compacted", compactedRevision: 8n };
      return reply({ error });
    }
    reply({ error: { code: ErrorCode.FUTURE_REVISION, message: "future" } });
  };
  await withNode(handler, async (c, node) => {
    assert.equal(await c.compact(8), 30);
    const sent = sentBy(node)[0];
    assert.equal(sent.body.case === "compact" && sent.body.value.revision, 8n);
    assert.ok(sent.sequence > 0n, "compact is a write with a session");
    await assert.rejects(c.getEntry("k", { revision: 3 }), (err: unknown) => {
      assert.ok(err instanceof TinyKvError);
      assert.equal(err.code, "COMPACTED");
      assert.equal(err.compactedRevision, 8);
      assert.equal(err.outcomeUnknown, false);
      return true;
    });
    await assert.rejects(c.get("k", { revision: 99 }), { code: "FUTURE_REVISION" });
    assert.equal(sentBy(node).length, 3, "neither error is retried");
  });
});

test("a revision, lease or limit that is not a whole number is refused before sending", async () => {
  await withNode((_req, reply) => reply({}), async (c, node) => {
    const bad = { code: "INVALID_ARGUMENT" };
    await assert.rejects(c.getEntry("k", { revision: -1 }), bad);
    await assert.rejects(c.scan({ revision: 1.5 }), bad);
    await assert.rejects(c.put("k", "v", { lease: 2 ** 60 }), bad);
    await assert.rejects(c.compact(Number.NaN), bad);
    await assert.rejects(c.txn({ success: [{ range: { key: "a", limit: -2 } }] }), bad);
    const noNumber = { key: "a", target: "version", result: "=" } as unknown as TxnCompare;
    await assert.rejects(c.txn({ compare: [noNumber] }), { message: /needs number/ });
    const noValue = { key: "a", target: "value", result: "=" } as unknown as TxnCompare;
    await assert.rejects(c.txn({ compare: [noValue] }), { message: /needs value/ });
    const target = "size" as unknown as "version";
    await assert.rejects(c.txn({ compare: [{ key: "a", target, result: "=", number: 1 }] }), bad);
    assert.equal(sentBy(node).length, 0);
  });
});
