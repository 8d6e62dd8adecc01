/**
 * Salted password hashes: PBKDF2-HMAC-SHA256 from WebCrypto, which Deno and Bun both ship
 * natively (docs/decisions/0011-users-and-permissions.md). The iteration count is stored
 * with each hash so it can be raised later without invalidating existing users.
 */
import {
  AUTH_HASH_ITERATIONS_DEFAULT,
  AUTH_HASH_ITERATIONS_MAX,
  AUTH_HASH_ITERATIONS_MIN,
} from "../limits_ops.ts";
import { toHex, utf8 } from "../util/bytes.ts";

export interface PasswordHash {
  /** Random salt, hex. */
  readonly salt: string;
  readonly iterations: number;
  /** The derived 32-byte key, hex. */
  readonly hash: string;
}

const SALT_BYTES = 16;
const HASH_BITS = 256;

/** Parses lower- or upper-case hex; undefined when it is not whole bytes of hex. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** A copy on its own ArrayBuffer, the form WebCrypto takes. */
export function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", ownBuffer(utf8(password)), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: ownBuffer(salt), iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

export function checkIterations(iterations: number): void {
  if (
    !Number.isInteger(iterations) || iterations < AUTH_HASH_ITERATIONS_MIN ||
    iterations > AUTH_HASH_ITERATIONS_MAX
  ) {
    throw new RangeError(
      `iterations must be an integer in [${AUTH_HASH_ITERATIONS_MIN}, ` +
        `${AUTH_HASH_ITERATIONS_MAX}], got ${iterations}`,
    );
  }
}

export async function hashPassword(
  password: string,
  iterations = AUTH_HASH_ITERATIONS_DEFAULT,
): Promise<PasswordHash> {
  checkIterations(iterations);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, iterations);
  return { salt: toHex(salt), iterations, hash: toHex(hash) };
}

/** Compares without an early exit, so the time taken says nothing about where they differ. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function verifyPassword(stored: PasswordHash, password: string): Promise<boolean> {
  const salt = fromHex(stored.salt);
  const want = fromHex(stored.hash);
  if (salt === undefined || want === undefined) return false;
  const got = await derive(password, salt, stored.iterations);
  return equalConstantTime(got, want);
}
