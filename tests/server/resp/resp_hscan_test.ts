/**
 * HSCAN on the RESP port, over real sockets against a state machine without
 * Raft: a node resumes the cursors it issued right after the last field of the
 * page (a full scan reads each field about once), while a cursor it does not
 * remember — another node's, or inside MULTI — resumes by its position. The
 * argument and type errors were checked against redis-server 7.0.15.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RespServer } from "../../../src/server/resp/resp_server.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../local_kv_service.ts";

const platform = getPlatform();
const FIELDS = 10_000;
type Reply = string | number | null | Reply[] | { error: string };

/** One connection; each call sends a command and waits for its whole reply. */
class Client {
  #buf = "";
  #wake: (() => void) | undefined;
  private constructor(readonly conn: Conn) {
    conn.setHandlers({
      onData: (chunk) => {
        for (const b of chunk) this.#buf += String.fromCharCode(b);
        this.#wake?.();
      },
      onClose: () => this.#wake?.(),
    });
  }

  static async connect(port: number): Promise<Client> {
    return new Client(await platform.net.connect("127.0.0.1", port));
  }

  async send(...args: string[]): Promise<Reply> {
    const parts = args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("");
    this.conn.write(utf8(`*${args.length}\r\n${parts}`));
    for (let i = 0; i < 10_000; i++) {
      const parsed = parse(this.#buf, 0);
      if (parsed !== undefined) {
        this.#buf = this.#buf.slice(parsed.end);
        return parsed.value;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    throw new Error("no reply");
  }

  close(): void {
    this.conn.close();
  }
}

function parse(text: string, at: number): { value: Reply; end: number } | undefined {
  const nl = text.indexOf("\r\n", at);
  if (nl < 0) return undefined;
  const head = text.slice(at + 1, nl);
  switch (text[at]) {
    case "+":
      return { value: head, end: nl + 2 };
    case "-":
      return { value: { error: head }, end: nl + 2 };
    case ":":
      return { value: Number(head), end: nl + 2 };
    case "$": {
      const n = Number(head);
      if (n < 0) return { value: null, end: nl + 2 };
      if (text.length < nl + 4 + n) return undefined;
      return { value: text.slice(nl + 2, nl + 2 + n), end: nl + 4 + n };
    }
    case "*": {
      const items: Reply[] = [];
      let end = nl + 2;
      for (let i = 0; i < Number(head); i++) {
        const item = parse(text, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
  }
  throw new Error(`unexpected reply ${JSON.stringify(text.slice(at, at + 20))}`);
}

const field = (i: number) => `f${String(i).padStart(5, "0")}`;

async function setup() {
  const service = await LocalKvService.open();
  const start = () =>
    RespServer.start({
      net: platform.net,
      clock: platform.clock,
      hostname: "127.0.0.1",
      port: 0,
      service,
    });
  const servers = [await start(), await start()];
  const client = await Client.connect(servers[0].port);
  const args = Array.from({ length: FIELDS }, (_, i) => [field(i), `v${i}`]).flat();
  assert.equal(await client.send("HSET", "h", ...args), FIELDS);
  // Counts the engine entries HSCAN reads (the state machine's engine, shared by both ports).
  let read = 0;
  const engine = service.kv.db;
  const scanSync = engine.scanSync.bind(engine);
  engine.scanSync = function* (options) {
    for (const entry of scanSync(options)) {
      read++;
      yield entry;
    }
  };
  const close = async () => {
    client.close();
    for (const s of servers) await s.close();
  };
  return { servers, client, close, entriesRead: () => read };
}

/** Scans `h` to the end from `cursor`; `next` maps each cursor before it is sent. */
async function scanRest(c: Client, cursor: string, next = (x: string) => x) {
  const seen: string[] = [], cursors: string[] = [];
  for (let page = 0; page < 2 * FIELDS && cursor !== "0"; page++) {
    const reply = await c.send("HSCAN", "h", next(cursor), "COUNT", "100");
    assert.ok(Array.isArray(reply) && Array.isArray(reply[1]), JSON.stringify(reply));
    cursor = String(reply[0]);
    cursors.push(cursor);
    reply[1].forEach((x, i) => i % 2 === 0 && seen.push(String(x)));
  }
  return { seen, cursors };
}

test("RESP HSCAN: a full scan of 10,000 fields reads each field about once", async () => {
  const { client, close, entriesRead } = await setup();
  try {
    const before = entriesRead();
    const first = await client.send("HSCAN", "h", "0", "COUNT", "100");
    assert.ok(Array.isArray(first) && Array.isArray(first[1]));
    const seen = first[1].filter((_, i) => i % 2 === 0).map(String);
    assert.equal(seen.length, 100, "the first page");
    const cursors = [String(first[0])];
    const all = await scanRest(client, cursors[0]);
    const fields = [...seen, ...all.seen];
    assert.equal(fields.length, FIELDS);
    assert.deepEqual(fields, Array.from({ length: FIELDS }, (_, i) => field(i)));
    assert.ok(entriesRead() - before <= FIELDS + 2 * 100, `read ${entriesRead() - before}`);
    for (const [i, c] of [cursors[0], ...all.cursors.slice(0, -1)].entries()) {
      const n = Number(c);
      assert.ok(Number.isSafeInteger(n) && n > 2 ** 32, `cursor ${c} names this node's entry`);
      assert.equal(n % 2 ** 32, 100 * (i + 1), "and carries the position");
    }
  } finally {
    await close();
  }
});

test("RESP HSCAN: another node's cursor (or a forgotten one) resumes at its position", async () => {
  const { servers, client, close, entriesRead } = await setup();
  const other = await Client.connect(servers[1].port);
  try {
    const first = await client.send("HSCAN", "h", "0", "COUNT", "100");
    assert.ok(Array.isArray(first));
    // Half the scan on the other node, which never issued these cursors.
    const before = entriesRead();
    const elsewhere = await scanRest(other, String(first[0]));
    assert.deepEqual(
      elsewhere.seen,
      Array.from({ length: FIELDS - 100 }, (_, i) => field(i + 100)),
    );
    assert.ok(entriesRead() - before > FIELDS, "found by position, page after page");
    // Position-only cursors (what MULTI returns) work on the first node too.
    const positions = await scanRest(client, "100", (c) => String(Number(c) % 2 ** 32));
    assert.equal(positions.seen.length, FIELDS - 100);
    assert.deepEqual(
      await client.send("MULTI"),
      "OK",
    );
    assert.equal(await client.send("HSCAN", "h", "9990", "COUNT", "5"), "QUEUED");
    const exec = await client.send("EXEC");
    assert.ok(Array.isArray(exec) && Array.isArray(exec[0]));
    assert.equal(exec[0][0], "9995", "inside MULTI the cursor is the position alone");
    assert.deepEqual(
      exec[0][1],
      [9990, 9991, 9992, 9993, 9994].flatMap((i) => [field(i), `v${i}`]),
    );
  } finally {
    other.close();
    await close();
  }
});

test("RESP HSCAN: fields deleted behind the cursor do not make the scan skip any", async () => {
  const { client, close } = await setup();
  try {
    const first = await client.send("HSCAN", "h", "0", "COUNT", "100");
    assert.ok(Array.isArray(first));
    const deleted = Array.from({ length: 50 }, (_, i) => field(i));
    assert.equal(await client.send("HDEL", "h", ...deleted), 50);
    const rest = await scanRest(client, String(first[0]));
    assert.deepEqual(rest.seen, Array.from({ length: FIELDS - 100 }, (_, i) => field(i + 100)));
  } finally {
    await close();
  }
});

test("RESP HSCAN: errors and small hashes answer as Redis", async () => {
  const { client, close } = await setup();
  try {
    await client.send("SET", "s", "x");
    await client.send("HSET", "small", "a", "1", "b", "2");
    const cases: [string[], Reply][] = [
      [["h", "x"], { error: "ERR invalid cursor" }],
      [["s", "0"], { error: "WRONGTYPE Operation against a key holding the wrong kind of value" }],
      [["h", "0", "COUNT", "0"], { error: "ERR syntax error" }],
      [["nope", "0", "COUNT", "0"], ["0", []]],
      [["small", "77", "COUNT", "1"], ["0", ["a", "1", "b", "2"]]],
      [["h"], { error: "ERR wrong number of arguments for 'hscan' command" }],
    ];
    for (const [args, want] of cases) assert.deepEqual(await client.send("HSCAN", ...args), want);
    const page = await client.send("HSCAN", "h", "0", "MATCH", "f0000?", "COUNT", "1000");
    assert.ok(Array.isArray(page));
    assert.equal((page[1] as Reply[]).length, 20, "MATCH filters the fields examined");
    assert.notEqual(page[0], "0", "and the scan goes on");
  } finally {
    await close();
  }
});
