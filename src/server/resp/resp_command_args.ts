/**
 * The `arguments` of COMMAND DOCS (what redis-cli shows as hints and in
 * `help`), written compactly per command and expanded into Redis's argument
 * maps. The notation:
 *
 *   name            a string argument; `name:integer` (or key, pattern, double,
 *                   unix-time) gives the type; `key` alone is a key
 *   x...            the argument repeats
 *   [X]             an optional pure token;  [X name]  an optional token with value(s)
 *   [label=A|B c]   an optional choice of alternatives, each a token or a token with a value
 *   (a b)...        a block of arguments that repeats together
 */
import type { RespWriter } from "./resp_writer.ts";

export interface ArgDoc {
  readonly name: string;
  readonly type: string;
  readonly token?: string;
  readonly flags: readonly string[];
  readonly keySpecIndex?: number;
  readonly arguments?: readonly ArgDoc[];
}

const SYNTAX: Record<string, string> = {
  ping: "[message]",
  echo: "message",
  hello: "[protover:integer] [AUTH username password] [SETNAME clientname]",
  auth: "[username] password",
  select: "index:integer",
  info: "[section...]",
  bgsave: "[SCHEDULE]",
  wait: "numreplicas:integer timeout:integer",
  watch: "key...",
  scan: "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]",
  keys: "pattern:pattern",
  del: "key...",
  unlink: "key...",
  exists: "key...",
  type: "key",
  flushdb: "[flush-type=ASYNC|SYNC]",
  flushall: "[flush-type=ASYNC|SYNC]",
  get: "key",
  mget: "key...",
  strlen: "key",
  incr: "key",
  decr: "key",
  incrby: "key increment:integer",
  decrby: "key decrement:integer",
  append: "key value",
  set: "key value [condition=NX|XX] [GET] [expiration=EX seconds:integer|PX " +
    "milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT " +
    "unix-time-milliseconds:unix-time|KEEPTTL]",
  setnx: "key value",
  setex: "key seconds:integer value",
  psetex: "key milliseconds:integer value",
  getset: "key value",
  mset: "(key value)...",
  msetnx: "(key value)...",
};

/** One plain argument: `name`, `name:type`, `key`, with `...` for repeats. */
function plain(word: string, flags: string[] = []): ArgDoc {
  const many = word.endsWith("...");
  const bare = many ? word.slice(0, -3) : word;
  const [name, given] = bare.split(":");
  const type = given ?? (name === "key" ? "key" : "string");
  const all = many ? [...flags, "multiple"] : flags;
  return { name, type, flags: all, ...(type === "key" ? { keySpecIndex: 0 } : {}) };
}

/** `X` (a pure token) or `X name...` (a token followed by its value or values). */
function tokenArg(text: string, flags: string[]): ArgDoc {
  const [token, ...values] = text.trim().split(/\s+/);
  if (values.length === 0) return { name: token.toLowerCase(), type: "pure-token", token, flags };
  if (values.length === 1) return { ...plain(values[0], flags), token };
  const args = values.map((v) => plain(v));
  return { name: token.toLowerCase(), type: "block", token, flags, arguments: args };
}

function parseWord(word: string): ArgDoc {
  if (word.startsWith("(")) {
    const inner = word.slice(1, word.indexOf(")")).split(/\s+/).map((w) => plain(w));
    const many = word.endsWith("...") ? ["multiple"] : [];
    return { name: "data", type: "block", flags: many, arguments: inner };
  }
  if (!word.startsWith("[")) return plain(word);
  const inner = word.slice(1, -1);
  const eq = inner.indexOf("=");
  if (eq < 0) return tokenArg(inner, ["optional"]);
  const choices = inner.slice(eq + 1).split("|").map((alt) => tokenArg(alt, []));
  return { name: inner.slice(0, eq), type: "oneof", flags: ["optional"], arguments: choices };
}

export function argumentsOf(name: string): ArgDoc[] | undefined {
  const syntax = Object.hasOwn(SYNTAX, name) ? SYNTAX[name] : undefined;
  return syntax?.match(/\[[^\]]*\]|\([^)]*\)(?:\.\.\.)?|\S+/g)?.map(parseWord);
}

/** One argument as Redis writes it: a map of name, type, then what applies. */
export function writeArg(w: RespWriter, a: ArgDoc): void {
  const pairs = 2 + (a.token === undefined ? 0 : 1) + (a.flags.length > 0 ? 1 : 0) +
    (a.keySpecIndex === undefined ? 0 : 1) + (a.arguments === undefined ? 0 : 1);
  w.mapHeader(pairs).bulkString("name").bulkString(a.name).bulkString("type").bulkString(a.type);
  if (a.keySpecIndex !== undefined) w.bulkString("key_spec_index").integer(a.keySpecIndex);
  if (a.token !== undefined) w.bulkString("token").bulkString(a.token);
  if (a.flags.length > 0) {
    w.bulkString("flags").setHeader(a.flags.length);
    for (const f of a.flags) w.simple(f);
  }
  if (a.arguments === undefined) return;
  w.bulkString("arguments").arrayHeader(a.arguments.length);
  for (const sub of a.arguments) writeArg(w, sub);
}
