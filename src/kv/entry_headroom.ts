/**
 * Room before an encoded command for the header of the `Routed` entry that will carry it
 * (formats.md#region-commands): the command encoders write a put or Redis command after
 * `headroom` free bytes, and `encodeRegionCommand` writes the header into them instead of
 * copying the command behind a new header. With regions, that copy was a 100 MiB value's one
 * more transient copy on the leader (docs/limits.md "Large values and memory").
 *
 * Only buffers made here are written into, once: a command that is a view into some other
 * buffer (a decoded entry, a forwarded request) never has the bytes before it overwritten.
 */
const roomy = new WeakSet<ArrayBufferLike>();

/** `length` bytes after `headroom` free ones, as a view of just the `length`. */
export function withHeadroom(length: number, headroom: number): Uint8Array {
  if (headroom === 0) return new Uint8Array(length);
  const whole = new Uint8Array(headroom + length);
  roomy.add(whole.buffer);
  return whole.subarray(headroom);
}

/**
 * The whole buffer of `command` when it was made by `withHeadroom` with exactly `headroom`
 * bytes before it (and nothing after); it is then the caller's to write the header into.
 */
export function takeHeadroom(command: Uint8Array, headroom: number): Uint8Array | undefined {
  const b = command.buffer;
  if (!roomy.has(b) || command.byteOffset !== headroom) return undefined;
  if (b.byteLength !== headroom + command.length) return undefined;
  roomy.delete(b);
  return new Uint8Array(b);
}
