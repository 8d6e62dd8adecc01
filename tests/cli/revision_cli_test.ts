/**
 * The CLI's revision commands (get/scan --revision --json, put --lease, txn on
 * stdin, compact) against a scripted node: what they send, what they print,
 * and that bad input is a usage error (exit 2) that sends nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { runCli } from "../../src/cli/main.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { FakeNode, type Handler } from "../client/fake_node.ts";

const KV = {
  key: utf8("k"),
  value: utf8("v"),
  modRevision: 9n,
  createRevision: 4n,
  version: 3n,
  lease: 77n,
  expireAtMs: 1_767_225_600_000n,
};
const ENTRY_JSON = {
  key: "k",
  value: "v",
  createRevision: 4,
  modRevision: 9,
  version: 3,
  lease: 77,
  expireAtMs: 1_767_225_600_000,
};

/** A node answering every kind of request the revision commands send. */
const node: Handler = (req, reply) => {
  const b = req.body;
  if (b.case === "get") {
    if (b.value.revision === 2n) {
      const error = { code: ErrorCode.COMPACTED, message: "compacted", compactedRevision: 5n };
      return reply({ error });
    }
    const { key: _k, ...fields } = KV;
    const found = fromUtf8(b.value.key) === "k";
    return reply({ body: { case: "get", value: found ? { found, ...fields } : {} } });
  }
  if (b.case === "scan") {
    return reply({ body: { case: "scan", value: { items: [KV], revision: 9n } } });
  }
  if (b.case === "txn") {
    const results = [{ result: { case: "range" as const, value: { kvs: [KV], count: 1n } } }];
    return reply({ body: { case: "txn", value: { succeeded: true, revision: 12n, results } } });
  }
  if (b.case === "compact") return reply({ body: { case: "write", value: { revision: 12n } } });
  reply({ body: { case: "write", value: { index: 3n } } });
};

async function withNode(run: (cli: Cli, fake: FakeNode) => Promise<void>) {
  const fake = await new FakeNode(node).start();
  const cli: Cli = async (args, stdin = "") => {
    const h = captureHost();
    const host = Object.assign(h, { readStdin: () => Promise.resolve(utf8(stdin)) });
    const code = await runCli([...args, "--endpoints", fake.address], host, getPlatform);
    return { code, out: h.out, err: h.err };
  };
  try {
    await run(cli, fake);
  } finally {
    await fake.stop();
  }
}

type Cli = (args: string[], stdin?: string) => Promise<{ code: number; out: string; err: string }>;

const sent = (fake: FakeNode) => fake.requests.filter((r) => r.body.case !== "status");

test("get --revision --json prints the key's state; a missing key exits 1", async () => {
  await withNode(async (cli, fake) => {
    const r = await cli(["get", "k", "--revision", "9", "--json"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), ENTRY_JSON);
    const req = sent(fake)[0].body;
    assert.equal(req.case === "get" && req.value.revision, 9n);
    assert.deepEqual(await cli(["get", "k"]), { code: 0, out: "v\n", err: "" });
    const missing = await cli(["get", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /key not found: nope/);
  });
});

test("a compacted revision exits 1 with the COMPACTED message", async () => {
  await withNode(async (cli) => {
    const r = await cli(["get", "k", "--revision", "2"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^tinykv: compacted\n$/);
  });
});

test("put --lease sends the lease; scan --revision --json prints revision and items", async () => {
  await withNode(async (cli, fake) => {
    assert.equal((await cli(["put", "k", "v", "--lease", "77"])).out, "OK\n");
    const put = sent(fake)[0].body;
    assert.equal(put.case === "put" && put.value.lease, 77n);
    const s = await cli(["scan", "k", "--revision", "9", "--json"]);
    assert.equal(s.code, 0, s.err);
    assert.deepEqual(JSON.parse(s.out), { revision: 9, items: [ENTRY_JSON] });
    const scan = sent(fake)[1].body;
    assert.equal(scan.case === "scan" && scan.value.revision, 9n);
    assert.equal((await cli(["scan", "k"])).out, "k\tv\n");
  });
});

test("txn reads JSON on stdin, sends it as a write and prints the result as JSON", async () => {
  await withNode(async (cli, fake) => {
    const txn = {
      compare: [{ key: "k", target: "modRevision", result: "=", number: 9 }],
      success: [{ range: { key: "k" } }],
      failure: [
        { put: { key: "k", value: "w", lease: 77 } },
        { delete: { key: "p", rangeEnd: "\u0000", prevKv: true } },
      ],
    };
    const r = await cli(["txn"], JSON.stringify(txn));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      succeeded: true,
      revision: 12,
      results: [{ range: { kvs: [ENTRY_JSON], more: false, count: 1 } }],
    });
    const req = sent(fake)[0];
    assert.ok(req.sequence > 0n, "a txn goes through the at-most-once write path");
    assert.equal(req.body.case, "txn");
    assert.equal(req.body.value.compare[0].operand.value, 9n);
    const put = req.body.value.failure[0].op;
    assert.equal(put.case === "put" && put.value.lease, 77n);
    const del = req.body.value.failure[1].op;
    assert.ok(del.case === "deleteRange");
    assert.deepEqual([[...del.value.rangeEnd], del.value.prevKv], [[0], true]);
  });
});

test("compact REV sends the revision and reports it", async () => {
  await withNode(async (cli, fake) => {
    const r = await cli(["compact", "8"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /below 8 .*store revision 12/);
    const req = sent(fake)[0].body;
    assert.equal(req.case === "compact" && req.value.revision, 8n);
  });
});

test("malformed input is a usage error (exit 2) and sends nothing", async () => {
  await withNode(async (cli, fake) => {
    const cases: [string[], string, RegExp][] = [
      [["txn"], "{not json", /not JSON/],
      [["txn"], "[]", /must be a JSON object/],
      [["txn"], '{"compare":[{"key":"k","target":"size","result":"="}]}', /target must be/],
      [["txn"], '{"compare":[{"key":"k","target":"value","result":"~"}]}', /result must be/],
      [["txn"], '{"success":[{"put":{"key":"k"}}]}', /put\.value must be a string/],
      [["txn"], '{"success":[{"put":{"key":"k","value":"v","ttl":3}}]}', /unknown field 'ttl'/],
      [["txn"], '{"success":[{"put":{},"delete":{}}]}', /one of put, delete, range/],
      [["txn"], '{"failure":[{"range":{"key":"k","limit":-1}}]}', /limit must be a whole/],
      [["txn"], '{"commit":[]}', /unknown field 'commit'/],
      [["txn", "extra"], "{}", /usage: tinykv txn/],
      [["get", "k", "--revision", "abc"], "", /--revision must be a whole number/],
      [["get", "k", "--revision", "99999999999999999"], "", /--revision must be/],
      [["put", "k", "v", "--lease", "x1"], "", /--lease must be a whole number/],
      [["compact"], "", /usage: tinykv compact/],
      [["put", "k", "v", "--revision", "3"], "", /--revision applies to get and scan/],
      [["get", "k", "--lease", "3"], "", /--lease applies to put/],
      [["compact", "1.5"], "", /REVISION must be a whole number/],
    ];
    for (const [args, stdin, message] of cases) {
      const r = await cli(args, stdin);
      assert.equal(r.code, 2, `${args.join(" ")} <<< ${stdin}: ${r.err}`);
      assert.match(r.err, message, `${args.join(" ")} <<< ${stdin}`);
    }
    assert.equal(sent(fake).length, 0);
  });
});

test("help documents the revision commands", async () => {
  for (const command of ["get", "put", "scan", "txn", "compact"]) {
    const h = captureHost();
    assert.equal(await runCli([command, "--help"], h, getPlatform), 0);
    assert.match(h.out, new RegExp(`^Usage: tinykv ${command}`));
  }
  const h = captureHost();
  await runCli(["--help"], h, getPlatform);
  for (const line of ["get KEY [--revision R] [--json]", "--lease ID", "txn <", "compact REV"]) {
    assert.ok(h.out.includes(line), line);
  }
});
