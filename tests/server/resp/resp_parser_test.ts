import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type RespCommand,
  RespParser,
  RespProtocolError,
} from "../../../src/server/resp/resp_parser.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

const words = (cmds: RespCommand[]) => cmds.map((c) => c.map(fromUtf8));

function encode(args: string[]): Uint8Array {
  return utf8(`*${args.length}\r\n${args.map((a) => `$${utf8(a).length}\r\n${a}\r\n`).join("")}`);
}

test("RespParser parses pipelined commands split at every chunk boundary", () => {
  const cmds = [["SET", "k", "v"], ["GET", "k"], ["MSET", "a", "", "b", "line\r\nbreak"]];
  const stream = utf8(cmds.map((c) => fromUtf8(encode(c))).join("") + "PING  hello\r\n");
  const prng = createPrng(1);
  for (let trial = 0; trial < 200; trial++) {
    const p = new RespParser();
    const got: RespCommand[] = [];
    for (let at = 0; at < stream.length;) {
      const n = 1 + prng.int(trial < 50 ? 2 : 20);
      got.push(...p.push(stream.subarray(at, at + n)));
      at += n;
    }
    assert.deepEqual(words(got), [...cmds, ["PING", "hello"]]);
    assert.equal(p.bufferedBytes, 0);
  }
});

test("RespParser carries a 1 MiB bulk value intact across many chunks", () => {
  const value = createPrng(2).fill(new Uint8Array(1 << 20));
  const head = utf8(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`);
  const p = new RespParser();
  assert.deepEqual(p.push(head), []);
  const got: RespCommand[] = [];
  for (let at = 0; at < value.length; at += 65536) {
    got.push(...p.push(value.subarray(at, at + 65536)));
  }
  got.push(...p.push(utf8("\r\n")));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0][2], value);
});

test("RespParser rejects malformed and oversized input with a protocol error", () => {
  const limits = { argsMax: 4, bulkBytesMax: 10, lineBytesMax: 32, commandBytesMax: 15 };
  const bad = [
    "*5\r\n", // too many arguments
    "*x\r\n", // not a number
    "*1\r\n$11\r\n", // bulk over the limit (checked before allocating)
    "*1\r\n$-1\r\n", // null bulk is not a valid argument
    "*1\r\n+OK\r\n", // not a bulk string
    "*1\r\n$2\r\nabX\r\n", // missing CRLF after the bulk
    "*2\r\n$8\r\n12345678\r\n$8\r\n", // command bytes over the limit
    "x".repeat(40), // an inline line longer than the limit without CRLF
  ];
  for (const input of bad) {
    assert.throws(() => new RespParser(limits).push(utf8(input)), RespProtocolError, input);
  }
});

test("RespParser ignores empty lines and null/empty arrays", () => {
  const p = new RespParser();
  assert.deepEqual(words(p.push(utf8("\r\n*0\r\n*-1\r\nPING\r\n"))), [["PING"]]);
});

test("RespParser never crashes on random garbage: it parses or throws RespProtocolError", () => {
  const prng = createPrng(3);
  const alphabet = utf8("*$\r\n0123456789-abc ");
  for (let i = 0; i < 2000; i++) {
    const input = new Uint8Array(prng.int(64)).map(() => alphabet[prng.int(alphabet.length)]);
    try {
      new RespParser({ argsMax: 100, bulkBytesMax: 100, lineBytesMax: 64, commandBytesMax: 1000 })
        .push(input);
    } catch (err) {
      assert.ok(err instanceof RespProtocolError, String(err));
    }
  }
});

test("RespParser splits inline commands as Redis does: quotes, escapes, LF alone", () => {
  const p = new RespParser();
  const got = p.push(utf8('set "a b" \'it\\\'s\'\r\nget "esc\\x41\\n"\nPING\n*-10\r\n')).map((c) =>
    c.map((a) => JSON.stringify(fromUtf8(a)))
  );
  assert.deepEqual(got, [
    ['"set"', '"a b"', `"it's"`],
    ['"get"', '"escA\\n"'],
    ['"PING"'],
  ]);
  for (const bad of ['set """k""" v\r\n', 'get "open\r\n', "get 'open\n", 'set "a"b c\r\n']) {
    assert.throws(() => new RespParser().push(utf8(bad)), /unbalanced quotes/, bad);
  }
});
