/**
 * One RESP2/RESP3 reply parsed out of raw bytes, for the differential tests: the tree keeps every
 * byte's meaning (type, text, elements) so two servers' replies can be compared exactly, or by
 * one of the few looser rules in compare_replies.ts.
 */

/**
 * A reply: `type` is its first byte (`+ - : $ * _ , # ! = ( % ~ > |`). Strings are latin1 (one
 * char per byte), so no byte is lost or merged. `text` is undefined for a null bulk, `items`
 * undefined for a null array; maps and attributes list keys and values in turn.
 */
export interface Reply {
  readonly type: string;
  readonly text?: string;
  readonly items?: readonly Reply[];
}

/** A whole reply found in a buffer: its tree and where it ends. */
export interface Parsed {
  readonly reply: Reply;
  readonly end: number;
}

const CR = 13;
const AGGREGATES = "*~>%|";
const LINES = "+-:_,#(";
const BLOBS = "$!=";

export function latin1(bytes: Uint8Array, from = 0, to = bytes.length): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error(`character U+${c.toString(16)} is not one byte: use \\xHH`);
    out[i] = c;
  }
  return out;
}

/** The line starting at `at` (without CRLF) and the offset after it, or undefined if partial. */
function line(buf: Uint8Array, at: number): { text: string; next: number } | undefined {
  for (let i = at; i + 1 < buf.length; i++) {
    if (buf[i] === CR && buf[i + 1] === 10) return { text: latin1(buf, at, i), next: i + 2 };
  }
  return undefined;
}

function count(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`bad ${what} length ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The reply starting at `at`, or undefined when the buffer holds only part of it. Throws on
 * bytes that are not RESP (a server bug worth seeing as such).
 */
export function parseReply(buf: Uint8Array, at = 0): Parsed | undefined {
  if (at >= buf.length) return undefined;
  const type = String.fromCharCode(buf[at]);
  const head = line(buf, at + 1);
  if (head === undefined) return undefined;
  if (LINES.includes(type)) return { reply: { type, text: head.text }, end: head.next };
  if (BLOBS.includes(type)) {
    const n = count(head.text, type);
    if (n < 0) return { reply: { type }, end: head.next };
    if (head.next + n + 2 > buf.length) return undefined;
    const text = latin1(buf, head.next, head.next + n);
    return { reply: { type, text }, end: head.next + n + 2 };
  }
  if (AGGREGATES.includes(type)) {
    const n = count(head.text, type);
    if (n < 0) return { reply: { type }, end: head.next };
    const total = type === "%" || type === "|" ? 2 * n : n;
    const items: Reply[] = [];
    let next = head.next;
    for (let i = 0; i < total; i++) {
      const item = parseReply(buf, next);
      if (item === undefined) return undefined;
      items.push(item.reply);
      next = item.end;
    }
    return { reply: { type, items }, end: next };
  }
  throw new Error(`not RESP: reply starts with ${JSON.stringify(type)}`);
}

/** A reply as one readable line: `"OK"`, `(error) ERR x`, `(integer) 3`, `[a, b]`, `(nil)`. */
export function showReply(r: Reply): string {
  if (r.items !== undefined) return `${r.type}[${r.items.map(showReply).join(", ")}]`;
  if (r.type === "_") return "(null)";
  if (r.text === undefined) return `(nil ${r.type})`;
  switch (r.type) {
    case "-":
      return `(error) ${r.text}`;
    case ":":
      return `(integer) ${r.text}`;
    case "+":
      return `+${JSON.stringify(r.text)}`;
    default:
      return r.type === "$" ? JSON.stringify(r.text) : `${r.type}${JSON.stringify(r.text)}`;
  }
}
