/**
 * Incremental parser for Redis client commands (RESP2 arrays of bulk
 * strings, and inline commands as typed in telnet). Untrusted input: every
 * length is checked against src/limits.ts before anything is allocated, and
 * malformed input throws `RespProtocolError` (the server answers
 * `-ERR Protocol error: …` and closes the connection, as Redis does).
 *
 *   command := "*" count CRLF ( "$" length CRLF bytes CRLF ){count}
 *            | inline-line CRLF            (words separated by spaces)
 */
import {
  ANNOUNCED_BUFFER_START_BYTES,
  RESP_ARGS_MAX,
  RESP_BULK_BYTES_MAX,
  RESP_COMMAND_BYTES_MAX,
  RESP_LINE_BYTES_MAX,
} from "../../limits.ts";
import { assert } from "../../util/assert.ts";
import { FillingBuffer } from "../../util/filling_buffer.ts";
import { splitInline } from "./inline_args.ts";
import { concat, copyRange } from "./resp_parser_bytes.ts";
import { GET_LOWER, GET_UPPER } from "./resp_get_name.ts";

export class RespProtocolError extends Error {
  override name = "RespProtocolError";
  /** The commands the same chunk completed before the bad input: they still run first. */
  completed: RespCommand[] = [];
}

export interface RespLimits {
  readonly argsMax: number;
  readonly bulkBytesMax: number;
  readonly lineBytesMax: number;
  readonly commandBytesMax: number;
}

export const DEFAULT_RESP_LIMITS: RespLimits = {
  argsMax: RESP_ARGS_MAX,
  bulkBytesMax: RESP_BULK_BYTES_MAX,
  lineBytesMax: RESP_LINE_BYTES_MAX,
  commandBytesMax: RESP_COMMAND_BYTES_MAX,
};

const CR = 13, LF = 10;
/** Nothing left over (the usual end of a read): shared, never written. */
const EMPTY = new Uint8Array(0);

/** One parsed command: its arguments as raw bytes (args[0] is the name). */
export type RespCommand = Uint8Array[];

/** `*2\r\n$3\r\n`, the start of every two-argument command with a three-byte name. */
const TWO_ARGS_NAME3 = [0x2a, 0x32, CR, LF, 0x24, 0x33, CR, LF];

export class RespParser {
  /** Unconsumed input. */
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  /** Arguments of the array being read, and how many are still expected. */
  #args: Uint8Array[] = [];
  #argsLeft = 0;
  #commandBytes = 0;
  /**
   * A bulk string being filled directly (large values skip the input buffer),
   * its buffer grown as the bytes arrive (a lying length costs nothing), and how
   * much of its CRLF terminator has been read.
   */
  #bulk: FillingBuffer | null = null;
  #bulkCrlf = 0;

  constructor(readonly limits: RespLimits = DEFAULT_RESP_LIMITS) {}

  /** Bytes held for incomplete input (for memory accounting). */
  get bufferedBytes(): number {
    return this.#buf.length - this.#start + (this.#bulk?.allocated ?? 0);
  }

  /**
   * Feeds a chunk; returns the commands it completed. The chunk is only read
   * during the call (sockets reuse their buffers); what is left is copied.
   */
  push(chunk: Uint8Array): RespCommand[] {
    const out: RespCommand[] = [];
    try {
      this.#pushInto(chunk, out);
    } catch (err) {
      if (err instanceof RespProtocolError) err.completed = out;
      throw err;
    }
    return out;
  }

  #pushInto(chunk: Uint8Array, out: RespCommand[]): void {
    let at = 0;
    if (this.#bulk !== null) at = this.#fillBulk(chunk, 0, out);
    if (at === chunk.length) return;
    if (this.#start < this.#buf.length) {
      this.#buf = concat(this.#buf.subarray(this.#start), chunk.subarray(at));
    } else {
      this.#buf = at === 0 ? chunk : chunk.subarray(at);
    }
    this.#start = 0;
    while (this.#bulk === null && this.#start < this.#buf.length) {
      if (!this.#step(out)) break;
    }
    // Keep only an owned copy of the unconsumed tail.
    this.#buf = this.#start === this.#buf.length
      ? EMPTY
      : copyRange(this.#buf, this.#start, this.#buf.length);
    this.#start = 0;
  }

  /** Parses one element; false when more input is needed. */
  #step(out: RespCommand[]): boolean {
    const first = this.#buf[this.#start];
    if (this.#argsLeft === 0 && first === 0x2a && this.#getStep(out)) return true;
    if (this.#argsLeft === 0 && first !== 0x2a /* * */) return this.#inlineStep(out);
    const lineEnd = this.#findLineEnd();
    if (lineEnd < 0) return false;
    // The line is buf[from, lineEnd), read in place (a view per line cost more than the parse).
    const from = this.#start + 1, lineLength = lineEnd - from;
    if (this.#argsLeft === 0) {
      // A multibulk length of zero or below ("*0", "*-1") carries no command: Redis ignores it.
      if (
        this.#buf[from] === 0x2d && lineLength > 1 && lineLength <= 20 &&
        isDigits(this.#buf, from + 1, lineEnd)
      ) {
        this.#start = lineEnd + 2;
        return true;
      }
      const count = parseLength(this.#buf, from, lineEnd, "multibulk length");
      if (count > this.limits.argsMax) throw new RespProtocolError("invalid multibulk length");
      this.#start = lineEnd + 2;
      if (count > 0) this.#argsLeft = count;
      return true;
    }
    if (first !== 0x24 /* $ */) {
      throw new RespProtocolError(`expected '$', got '${String.fromCharCode(first)}'`);
    }
    const len = parseLength(this.#buf, from, lineEnd, "bulk length");
    if (len < 0 || len > this.limits.bulkBytesMax) {
      throw new RespProtocolError("invalid bulk length");
    }
    this.#commandBytes += len;
    if (this.#commandBytes > this.limits.commandBytesMax) {
      throw new RespProtocolError("command too large");
    }
    this.#start = lineEnd + 2;
    const end = this.#start + len;
    if (end + 2 <= this.#buf.length) {
      // The whole bulk and its CRLF are here (small arguments): one copy, no filling buffer.
      if (this.#buf[end] !== CR || this.#buf[end + 1] !== LF) {
        throw new RespProtocolError("bulk string not terminated by CRLF");
      }
      this.#args.push(copyRange(this.#buf, this.#start, end));
      this.#start = end + 2;
      if (--this.#argsLeft === 0) this.#finish(out);
      return true;
    }
    this.#bulk = new FillingBuffer(len, ANNOUNCED_BUFFER_START_BYTES);
    this.#bulkCrlf = 0;
    const rest = this.#buf.subarray(this.#start);
    const used = this.#fillBulk(rest, 0, out);
    this.#start += used;
    return true;
  }

  /**
   * A whole `GET key` as redis clients send it, in one pass with no line search: the name is
   * the shared constant and the key one copy. Anything else, or anything the general path
   * would refuse, is left to it (false), so replies and errors are the same either way.
   */
  #getStep(out: RespCommand[]): boolean {
    const buf = this.#buf, s = this.#start, limits = this.limits;
    if (buf.length - s < 19) return false; // the shortest: *2 $3 GET $0 "" with their CRLFs
    if (limits.argsMax < 2 || limits.lineBytesMax < 11) return false; // the general path's errors
    for (let i = 0; i < 8; i++) if (buf[s + i] !== TWO_ARGS_NAME3[i]) return false;
    const c0 = buf[s + 8], c1 = buf[s + 9], c2 = buf[s + 10];
    const name = c0 === 0x47 && c1 === 0x45 && c2 === 0x54
      ? GET_UPPER
      : c0 === 0x67 && c1 === 0x65 && c2 === 0x74
      ? GET_LOWER
      : undefined;
    if (name === undefined || buf[s + 11] !== CR || buf[s + 12] !== LF || buf[s + 13] !== 0x24) {
      return false;
    }
    let at = s + 14, len = 0;
    for (const digitsEnd = Math.min(buf.length, at + 10); at < digitsEnd; at++) {
      const d = buf[at] - 0x30;
      if (d < 0 || d > 9) break;
      len = len * 10 + d;
    }
    if (at === s + 14 || buf[at] !== CR || buf[at + 1] !== LF) return false;
    const end = at + 2 + len;
    if (len > limits.bulkBytesMax || 3 + len > limits.commandBytesMax) return false;
    if (end + 2 > buf.length || buf[end] !== CR || buf[end + 1] !== LF) return false;
    out.push([name, copyRange(buf, at + 2, end)]);
    this.#start = end + 2;
    return true;
  }

  /** Copies bulk bytes and the trailing CRLF from `src`; returns bytes used. */
  #fillBulk(src: Uint8Array, from: number, out: RespCommand[]): number {
    const bulk = this.#bulk;
    assert(bulk !== null, "fillBulk without a bulk in progress");
    let at = from;
    const take = Math.min(bulk.total - bulk.filled, src.length - at);
    if (take > 0) bulk.append(src.subarray(at, at + take));
    at += take;
    while (bulk.done && this.#bulkCrlf < 2 && at < src.length) {
      if (src[at] !== (this.#bulkCrlf === 0 ? CR : LF)) {
        throw new RespProtocolError("bulk string not terminated by CRLF");
      }
      this.#bulkCrlf++;
      at++;
    }
    if (this.#bulkCrlf === 2) {
      this.#bulk = null;
      this.#args.push(bulk.bytes());
      if (--this.#argsLeft === 0) this.#finish(out);
    }
    return at - from;
  }

  #finish(out: RespCommand[]): void {
    out.push(this.#args);
    this.#args = [];
    this.#commandBytes = 0;
  }

  /** An inline command: a line ending in LF (CR LF as well), split as Redis splits it. */
  #inlineStep(out: RespCommand[]): boolean {
    const buf = this.#buf;
    const max = Math.min(buf.length, this.#start + this.limits.lineBytesMax + 2);
    let lf = -1;
    for (let i = this.#start; i < max; i++) {
      if (buf[i] === LF) {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      if (buf.length - this.#start > this.limits.lineBytesMax) {
        throw new RespProtocolError("too big inline request");
      }
      return false;
    }
    const end = lf > this.#start && buf[lf - 1] === CR ? lf - 1 : lf;
    const words = splitInline(buf.subarray(this.#start, end));
    if (words === undefined) throw new RespProtocolError("unbalanced quotes in request");
    this.#start = lf + 1;
    if (words.length > 0) out.push(words);
    return true;
  }

  /** Index of the CR of the next CRLF, or -1; throws if the line is too long. */
  #findLineEnd(): number {
    const buf = this.#buf;
    const max = Math.min(buf.length - 1, this.#start + this.limits.lineBytesMax);
    for (let i = this.#start; i < max; i++) {
      if (buf[i] === CR && buf[i + 1] === LF) return i;
    }
    if (buf.length - this.#start > this.limits.lineBytesMax) {
      throw new RespProtocolError("too big inline request or header line");
    }
    return -1;
  }
}

/**
 * The decimal length in buf[start, end); "-1" is returned as -1 (null), anything else
 * malformed throws.
 */
function parseLength(buf: Uint8Array, start: number, end: number, what: string): number {
  const n = end - start;
  if (n === 2 && buf[start] === 0x2d && buf[start + 1] === 0x31) return -1;
  if (n === 0 || n > 12) throw new RespProtocolError(`invalid ${what}`);
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) throw new RespProtocolError(`invalid ${what}`);
    value = value * 10 + d;
  }
  return value;
}

function isDigits(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] < 0x30 || buf[i] > 0x39) return false;
  return true;
}
