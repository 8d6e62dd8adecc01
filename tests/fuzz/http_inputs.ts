/**
 * Fuzz input for the HTTP port: random bytes, and requests with random or
 * odd methods, paths (every route, admin routes with garbage ids and queries,
 * encodings, traversal, huge paths), versions, headers (random, duplicated,
 * huge, without a colon, lying Content-Length, broken chunked bodies) and bodies,
 * possibly several pipelined, then byte-level damage.
 */
import type { Prng } from "../../src/util/prng.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { mutateBytes, pick, randomBytes } from "./mutate.ts";

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "CONNECT",
  "get",
  "PRI",
  "G\u0000T",
  "POSTX",
  "",
  "M".repeat(300),
]; // deno-fmt-ignore
const PATHS = [
  "/", "/status", "/metrics", "/health", "/cluster", "/admin/snapshot", "/admin/members/",
  "/admin/members/x", "/admin/members/0", "/admin/members/-1", "/admin/members/1e3?address=a:1",
  "/admin/members/abc?address=%00:99999", "/admin/transfer-leader/99", "/admin/transfer-leader/1",
  "/admin/transfer-leader/0x1", "/admin/../status", "/%2e%2e/%2e%2e/etc/passwd", "//status",
  "/status?x=%ZZ", "/status#frag", "*", "http://127.0.0.1/status", "/\u00ff\u00fe", "/admin",
  "/admin/", "/ADMIN/SNAPSHOT", "/health/", "/metrics?format=json",
]; // deno-fmt-ignore
const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1x", "", "http/1.1"];
const HEADER_NAMES = [
  "Host",
  "Content-Type",
  "Content-Length",
  "Transfer-Encoding",
  "Authorization",
  "Origin",
  "Cookie",
  "Accept",
  "Connection",
  "Expect",
  "X-Fuzz",
  "Upgrade",
  "Range",
  "\u0000bad",
  "",
]; // deno-fmt-ignore

function text(prng: Prng, max: number): string {
  let s = "";
  const n = prng.int(max + 1);
  for (let i = 0; i < n; i++) s += String.fromCharCode(prng.range(0x20, 0x7e));
  return s;
}

function headerLine(prng: Prng, bodyLength: number): string {
  const name = pick(prng, HEADER_NAMES);
  const values: string[] = [
    text(prng, 40),
    String(bodyLength),
    String(bodyLength + prng.range(1, 100)),
    "-1",
    "99999999999999999999",
    "chunked",
    "application/json",
    "Bearer " + text(prng, 20),
    "x".repeat(pick(prng, [1000, 16 * 1024, 100 * 1024, 1024 * 1024])),
    "100-continue",
    "close",
    "keep-alive",
  ];
  const value = pick(prng, values);
  return prng.chance(0.05) ? `${name}${value}` : `${name}: ${value}`; // no colon
}

function body(prng: Prng): string {
  switch (prng.int(5)) {
    case 0:
      return "";
    case 1:
      return JSON.stringify({ address: text(prng, 20), id: prng.int(10) });
    case 2: // a broken chunked body
      return `${pick(prng, ["5", "ffffffffffff", "-1", "z", ""])}\r\n${text(prng, 10)}\r\n0\r\n`;
    case 3:
      return "{".repeat(prng.int(2000));
    default:
      return text(prng, 300);
  }
}

/** `credentials`: header lines a legitimate client sends (auth), added to half the requests. */
function request(prng: Prng, credentials: readonly string[]): string {
  const b = body(prng);
  const path = prng.chance(0.03) ? "/" + "a".repeat(64 * 1024) : pick(prng, PATHS);
  const lines = [`${pick(prng, METHODS)} ${path} ${pick(prng, VERSIONS)}`, "Host: 127.0.0.1"];
  const n = prng.int(6);
  for (let i = 0; i < n; i++) lines.push(headerLine(prng, b.length));
  if (prng.chance(0.5)) lines.push(...credentials);
  if (prng.chance(0.5)) lines.push(`Content-Length: ${b.length}`);
  return `${lines.join(pick(prng, ["\r\n", "\r\n", "\n"]))}\r\n\r\n${b}`;
}

/** Where a request could change membership: a member route with a numeric id. */
const MEMBER_ID = /(members(?:\/|%2f))(\d|%3\d|%)/gi;

/**
 * One fuzz input: one to three requests, some damaged, or random bytes; with
 * any member route's id made non-numeric (the only requests that could change
 * stored state: docs/fuzzing.md, "No state change").
 */
export function httpInput(
  prng: Prng,
  credentials: readonly string[] = [],
): { label: string; bytes: Uint8Array } {
  if (prng.chance(0.08)) return { label: "random bytes", bytes: randomBytes(prng, 300) };
  const parts: Uint8Array[] = [];
  const n = prng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const r = bytesOf(request(prng, credentials));
    parts.push(prng.chance(0.3) ? mutateBytes(prng, r) : r);
  }
  const safe = textOf(concatBytes(parts)).replace(MEMBER_ID, "$1x");
  return { label: `${n} request(s)`, bytes: bytesOf(safe) };
}

/** One byte per character (code points above 0xff keep their low byte). */
function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function textOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}
