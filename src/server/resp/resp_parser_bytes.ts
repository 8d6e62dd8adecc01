/** Byte copies of the RESP parser (resp_parser.ts). */

/**
 * A copy of `buf[start, end)` the caller owns: `slice` of a socket's chunk (a Buffer) would be
 * a view of it, and a view costs more than copying a short argument.
 */
export function copyRange(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  if (end - start <= 64) { for (let i = start; i < end; i++) out[i - start] = buf[i]; }
  else out.set(buf.subarray(start, end));
  return out;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
