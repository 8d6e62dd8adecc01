/**
 * Fuzz input for the RESP port: random bytes; every command the port knows
 * with random arguments, sent as RESP arrays or inline (with quotes, escapes,
 * unbalanced quotes); and damaged framing: bad `*` and `$` counts, huge and
 * negative bulk lengths, missing or half CRLFs, wrong bulk terminators.
 */
import { REDIS_COMMANDS } from "../../src/kv/redis/command_table.ts";
import { RESP_COMMANDS } from "../../src/server/resp/resp_commands.ts";
import { RESP_BULK_BYTES_MAX } from "../../src/limits.ts";
import type { Prng } from "../../src/util/prng.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import { mutateBytes, pick, randomBytes } from "./mutate.ts";

/** Every command name the port answers. */
export const COMMAND_NAMES: readonly string[] = [
  ...new Set([...RESP_COMMANDS.keys(), ...[...REDIS_COMMANDS.keys()].map((n) => n.toUpperCase())]),
].sort();

const WORDS = [
  "EX",
  "PX",
  "EXAT",
  "PXAT",
  "NX",
  "XX",
  "GT",
  "LT",
  "GET",
  "KEEPTTL",
  "PERSIST",
  "COUNT",
  "MATCH",
  "TYPE",
  "WITHVALUES",
  "REPLACE",
  "DB",
  "ASYNC",
  "SYNC",
  "HELP",
  "REPLY",
  "OFF",
  "ON",
  "SKIP",
  "SETNAME",
  "LIST",
  "INFO",
  "ID",
  "USAGE",
  "ENCODING",
  "FREQ",
  "DOCS",
  "GETKEYS",
  "AUTH",
  "default",
  "*",
  "?",
  "[a-",
  "\\",
  "string",
  "hash",
  "set",
]; // deno-fmt-ignore
const NUMBERS = [
  "0", "1", "-1", "3", "10", "100", "9223372036854775807", "9223372036854775808",
  "-9223372036854775808", "1e400", "-0", "0.5", "inf", "-inf", "nan", "0x10", " 1", "1 ",
  "99999999999999999999999", "1.7976931348623157e308",
]; // deno-fmt-ignore
const KEYS = ["sandbox", "k/0", "h", "s", "db3", "fuzz", "fuzz:h", "fuzz:s", "", "{tag}x"];

function arg(prng: Prng): Uint8Array {
  switch (prng.int(6)) {
    case 0:
      return utf8(pick(prng, WORDS));
    case 1:
      return utf8(pick(prng, NUMBERS));
    case 2:
      return utf8(pick(prng, KEYS));
    case 3:
      return randomBytes(prng, 12);
    case 4:
      return utf8(pick(prng, COMMAND_NAMES).toLowerCase());
    default:
      return utf8("x".repeat(pick(prng, [0, 1, 64, 1000, 70_000])));
  }
}

/** A known command (or a case-mangled or unknown one) with 0-6 random arguments. */
export function commandArgs(prng: Prng): Uint8Array[] {
  let name = pick(prng, COMMAND_NAMES);
  if (prng.chance(0.2)) name = name.toLowerCase();
  if (prng.chance(0.03)) name = `${name}X`;
  const args = [utf8(name)];
  const n = prng.int(7);
  for (let i = 0; i < n; i++) args.push(arg(prng));
  return args;
}

function asArray(args: readonly Uint8Array[]): Uint8Array {
  const parts = [utf8(`*${args.length}\r\n`)];
  for (const a of args) parts.push(utf8(`$${a.length}\r\n`), a, utf8("\r\n"));
  return concatBytes(parts);
}

/** Inline form: words, some quoted or escaped, some quotes left open. */
function asInline(prng: Prng, args: readonly Uint8Array[]): Uint8Array {
  const words = args.map((a) => {
    const text = new TextDecoder().decode(a).replace(/[\r\n]/g, "");
    switch (prng.int(6)) {
      case 0:
        return `"${text.replace(/["\\]/g, "\\$&")}"`;
      case 1:
        return `'${text.replace(/'/g, "")}'`;
      case 2:
        return `"\\x41\\n${text.slice(0, 8)}\\"`;
      case 3:
        return `"${text}`; // unbalanced
      default:
        return text;
    }
  });
  return utf8(words.join(pick(prng, [" ", "  ", "\t"])) + pick(prng, ["\r\n", "\n", "\r", ""]));
}

/** A command whose framing lies: counts, lengths, terminators. */
function badFraming(prng: Prng, args: readonly Uint8Array[]): Uint8Array {
  const count = pick(prng, [
    "-5",
    "0",
    "-1",
    "abc",
    "1.5",
    "",
    "2147483648",
    "1048577",
    String(args.length + 1),
  ]); // deno-fmt-ignore
  const len = pick(prng, [
    "-2", "-1", "", "x", String(RESP_BULK_BYTES_MAX), String(RESP_BULK_BYTES_MAX + 1),
    "999999999999", "1e3", String(args[0].length + 1),
  ]); // deno-fmt-ignore
  switch (prng.int(4)) {
    case 0:
      return concatBytes([utf8(`*${count}\r\n`), asArray(args).subarray(3)]);
    case 1:
      return concatBytes([utf8(`*${args.length}\r\n$${len}\r\n`), args[0], utf8("\r\n")]);
    case 2: // CRLF replaced by LF, CR or nothing
      return utf8(new TextDecoder().decode(asArray(args)).replaceAll("\r\n", pick(prng, ["\n", "\r", ""])));
    default: // wrong bulk terminator
      return concatBytes([utf8(`*1\r\n$${args[0].length}\r\n`), args[0], utf8(pick(prng, ["\n\r", "xx", "\r"]))]);
  }
}

/** Connection states the commands may run in: a transaction, RESP3, subscribed, watching. */
const MODES: readonly (readonly string[])[] = [
  [],
  [],
  [],
  ["MULTI"],
  ["HELLO", "3"],
  ["SUBSCRIBE", "c"],
  ["WATCH", "fuzz"],
  ["CLIENT", "REPLY", "SKIP"],
];

/** One fuzz input: one to four commands, valid, damaged or random. */
export function respInput(prng: Prng): { label: string; bytes: Uint8Array } {
  if (prng.chance(0.08)) return { label: "random bytes", bytes: randomBytes(prng, 200) };
  const parts: Uint8Array[] = [];
  const labels: string[] = [];
  const mode = pick(prng, MODES);
  if (mode.length > 0) parts.push(asArray(mode.map((a) => utf8(a))));
  const n = prng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const args = commandArgs(prng);
    const how = prng.int(8);
    labels.push(`${new TextDecoder().decode(args[0])}:${how}`);
    if (how <= 3) parts.push(asArray(args));
    else if (how === 4) parts.push(asInline(prng, args));
    else if (how === 5) parts.push(badFraming(prng, args));
    else parts.push(mutateBytes(prng, asArray(args)));
  }
  if (mode[0] === "MULTI" && prng.chance(0.7)) parts.push(asArray([utf8("EXEC")]));
  return { label: `${mode.join(" ")}: ${labels.join(" ")}`, bytes: concatBytes(parts) };
}
