/**
 * Encodes RESP replies (RESP2, plus the RESP3 types a client asks for with
 * HELLO 3) into one reusable output buffer per connection, so that all the
 * replies to one read go out in a single socket write.
 */
import { ByteWriter } from "../../util/coding.ts";
import { utf8 } from "../../util/bytes.ts";

const CRLF = new Uint8Array([13, 10]);
const NULL_BULK = utf8("$-1\r\n");
const NULL_RESP3 = utf8("_\r\n");
const NULL_ARRAY = utf8("*-1\r\n");
const OK = utf8("+OK\r\n");

export type RespVersion = 2 | 3;

/**
 * A `raw` range this long is not copied into the buffer: it goes to the socket as a part of
 * its own (a large value's reply, rendered once already, was copied a second time here).
 */
const OWN_PART_BYTES = 1 << 20;

export class RespWriter {
  readonly #out = new ByteWriter(4096);
  /** What was written before the buffer's contents, in order, when a large range was adopted. */
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  version: RespVersion = 2;

  get length(): number {
    return this.#partBytes + this.#out.length;
  }

  /** The bytes written since the last take, in one buffer for the caller to keep. */
  take(): Uint8Array {
    if (this.#parts.length === 0) return this.#out.take();
    const parts = this.takeParts();
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The bytes written since the last take, in order, as one or more buffers to write. */
  takeParts(): Uint8Array[] {
    const tail = this.#out.take();
    if (this.#parts.length === 0) return [tail];
    const parts = this.#parts;
    if (tail.length > 0) parts.push(tail);
    this.#parts = [];
    this.#partBytes = 0;
    return parts;
  }

  /**
   * Bytes already in RESP form, `src[off, off+len)` (a run of replies rendered elsewhere). A
   * range of OWN_PART_BYTES or more is kept by reference: `src` must not change afterwards.
   */
  raw(src: Uint8Array, off: number, len: number): this {
    if (len < OWN_PART_BYTES) {
      this.#out.range(src, off, len);
      return this;
    }
    if (this.#out.length > 0) this.#adopt(this.#out.take());
    this.#adopt(src.subarray(off, off + len));
    return this;
  }

  #adopt(part: Uint8Array): void {
    this.#parts.push(part);
    this.#partBytes += part.length;
  }

  ok(): this {
    this.#out.bytes(OK);
    return this;
  }

  simple(text: string): this {
    // +OK (every SET's reply) from its bytes, with no string made and encoded per reply.
    this.#out.bytes(text === "OK" ? OK : utf8(`+${text}\r\n`));
    return this;
  }

  /** `message` starts with the error code, e.g. "ERR unknown command 'FOO'". */
  error(message: string): this {
    this.#out.bytes(utf8(`-${message.replace(/[\r\n]/g, " ")}\r\n`));
    return this;
  }

  integer(n: number | bigint): this {
    this.#out.bytes(utf8(`:${n}\r\n`));
    return this;
  }

  bulk(bytes: Uint8Array | undefined): this {
    if (bytes === undefined) return this.null();
    this.#out.bytes(utf8(`$${bytes.length}\r\n`)).bytes(bytes).bytes(CRLF);
    return this;
  }

  bulkString(text: string): this {
    return this.bulk(utf8(text));
  }

  /** The null reply: `$-1` in RESP2, `_` in RESP3. */
  null(): this {
    this.#out.bytes(this.version === 3 ? NULL_RESP3 : NULL_BULK);
    return this;
  }

  /** The null array: `*-1` in RESP2 (EXEC after a WATCH conflict), `_` in RESP3. */
  nullArray(): this {
    this.#out.bytes(this.version === 3 ? NULL_RESP3 : NULL_ARRAY);
    return this;
  }

  /** A set (RESP3 `~`), an array in RESP2. */
  setHeader(count: number): this {
    this.#out.bytes(utf8(this.version === 3 ? `~${count}\r\n` : `*${count}\r\n`));
    return this;
  }

  /** A double (RESP3 `,`), a bulk string in RESP2. */
  double(text: string): this {
    if (this.version === 3) this.#out.bytes(utf8(`,${text}\r\n`));
    else this.bulkString(text);
    return this;
  }

  /** Text for humans (INFO, CLIENT LIST): RESP3 verbatim `=` with "txt:"; RESP2 bulk string. */
  verbatim(text: string): this {
    if (this.version !== 3) return this.bulkString(text);
    const body = utf8(`txt:${text}`);
    this.#out.bytes(utf8(`=${body.length}\r\n`));
    this.#out.bytes(body);
    this.#out.bytes(CRLF);
    return this;
  }

  /** A RESP3 push (pub/sub messages); an array in RESP2. */
  pushHeader(count: number): this {
    this.#out.bytes(utf8(this.version === 3 ? `>${count}\r\n` : `*${count}\r\n`));
    return this;
  }

  arrayHeader(count: number): this {
    this.#out.bytes(utf8(`*${count}\r\n`));
    return this;
  }

  /** A map (RESP3 `%`), sent as a flat array of pairs in RESP2. */
  mapHeader(pairs: number): this {
    this.#out.bytes(utf8(this.version === 3 ? `%${pairs}\r\n` : `*${pairs * 2}\r\n`));
    return this;
  }
}
