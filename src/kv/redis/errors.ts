/**
 * Redis's error replies, word for word (the differential tests against
 * redis-server decide them). A command throws RedisError; the executor turns
 * it into that command's error reply, so one failing command of a MULTI block
 * does not stop the others (Redis's rule).
 */
export class RedisError extends Error {
  override name = "RedisError";
  /** `line` is the whole error line, code first: "ERR syntax error". */
  constructor(readonly line: string) {
    super(line);
  }
}

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const NO_SUCH_KEY = "ERR no such key";
export const OUT_OF_RANGE = "ERR index out of range";
export const DB_OUT_OF_RANGE = "ERR DB index is out of range";

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
}

export function fail(line: string): never {
  throw new RedisError(line);
}

/** Redis 7's reply to an unknown command: the name and up to ~128 bytes of its arguments. */
export function unknownCommand(args: readonly Uint8Array[]): string {
  // Redis formats them as C strings: each stops at its first zero byte.
  const text = (b: Uint8Array, max: number) => {
    const nul = b.indexOf(0);
    return new TextDecoder().decode(b.subarray(0, Math.min(max, nul < 0 ? b.length : nul)));
  };
  let shown = "";
  for (let i = 1; i < args.length && shown.length < 128; i++) {
    shown += `'${text(args[i], 128 - shown.length)}' `;
  }
  const name = args.length > 0 ? text(args[0], 128) : "";
  return `ERR unknown command '${name}', with args beginning with: ${shown}`;
}
