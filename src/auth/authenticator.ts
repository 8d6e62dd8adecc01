/**
 * Checks passwords and tokens against the auth file (docs/security.md).
 *
 * - Passwords: PBKDF2 is slow on purpose, so a node runs at most AUTH_VERIFY_CONCURRENCY
 *   checks at once (a flood of wrong passwords cannot take its cores) and remembers the
 *   credentials it has verified, keyed by a keyed hash that never leaves the process, so a
 *   client opening many connections pays the cost once. An unknown user costs a check too,
 *   so timing does not tell which users exist.
 * - Tokens: `tkv1:USER:EXPIRES_MS:MAC`, the MAC an HMAC-SHA256 under the file's tokenSecret
 *   over the user, the expiry and the user's password hash: every node with the same file
 *   accepts it, and changing the password or removing the user revokes every token.
 */
import {
  AUTH_HASH_ITERATIONS_DEFAULT,
  AUTH_PASSWORD_BYTES_MAX,
  AUTH_TOKEN_BYTES_MAX,
  AUTH_TOKEN_TTL_MS,
  AUTH_VERIFIED_CACHE_MAX,
} from "../limits_ops.ts";
import { toHex, utf8 } from "../util/bytes.ts";
import type { AuthFile } from "./auth_file.ts";
import { BoundedCache } from "./bounded_cache.ts";
import { fromHex, ownBuffer, randomBytes, verifyPassword } from "./password_hash.ts";
import { type Principal, principalOf } from "./principal.ts";
import { VerifyGate } from "./verify_gate.ts";

export type AuthFailure = "wrong-password" | "busy" | "too-long";
export type TokenFailure = "invalid" | "expired";

export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export interface AuthenticatorOptions {
  readonly file: AuthFile;
  /** Wall-clock ms (token expiry). */
  readonly wallMs: () => number;
  readonly tokenTtlMs?: number;
}

/** Stands in for an unknown user's hash, so a wrong name costs what a wrong password does. */
const DECOY = { salt: "00".repeat(16), iterations: 0, hash: "00".repeat(32) };

async function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    ownBuffer(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
}

async function hmacHex(key: CryptoKey, text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, ownBuffer(utf8(text)))));
}

export class Authenticator {
  #file: AuthFile;
  #principals = new Map<string, Principal>();
  #tokenKey: Promise<CryptoKey>;
  readonly #processKey = hmacKey(randomBytes(32));
  readonly #verified = new BoundedCache<string, string>(AUTH_VERIFIED_CACHE_MAX);
  readonly #tokens = new BoundedCache<string, { user: string; expiresAtMs: number }>(
    AUTH_VERIFIED_CACHE_MAX,
  );
  readonly #gate = new VerifyGate();
  readonly #checking = new Map<string, Promise<boolean | "busy">>();
  readonly #ttlMs: number;

  constructor(readonly o: AuthenticatorOptions) {
    this.#file = o.file;
    this.#tokenKey = this.#keyOf(o.file);
    this.#ttlMs = o.tokenTtlMs ?? AUTH_TOKEN_TTL_MS;
  }

  /** The file a SIGHUP re-read: new users, roles and passwords apply to the next check. */
  reload(file: AuthFile): void {
    this.#file = file;
    this.#principals.clear();
    this.#verified.clear();
    this.#tokens.clear();
    this.#tokenKey = this.#keyOf(file);
  }

  hasUser(user: string): boolean {
    return this.#file.users.has(user);
  }

  /** The users' names, sorted (ACL USERS). */
  userNames(): string[] {
    return [...this.#file.users.keys()].sort();
  }

  /** The user's current principal (roles as the file says now); undefined if removed. */
  principal(user: string): Principal | undefined {
    let p = this.#principals.get(user);
    if (p === undefined) {
      p = principalOf(this.#file, user);
      if (p !== undefined) this.#principals.set(user, p);
    }
    return p;
  }

  async authenticate(user: string, password: string): Promise<Principal | AuthFailure> {
    if (utf8(password).length > AUTH_PASSWORD_BYTES_MAX) return "too-long";
    const record = this.#file.users.get(user);
    const cacheKey = `${user}\0${await hmacHex(await this.#processKey, password)}`;
    if (record !== undefined && this.#verified.get(cacheKey) === record.hash) {
      return this.principal(user) ?? "wrong-password";
    }
    // Many connections logging in with one credential at once share one check.
    let check = this.#checking.get(cacheKey);
    if (check === undefined) {
      const stored = record ?? { ...DECOY, iterations: this.#decoyIterations() };
      check = this.#gate.run(() => verifyPassword(stored, password));
      this.#checking.set(cacheKey, check);
      const forget = () => this.#checking.delete(cacheKey);
      check.then(forget, forget);
    }
    const ok = await check;
    if (ok === "busy") return "busy";
    // The file may have been reloaded while the check ran: trust only the record checked.
    if (!ok || record === undefined || this.#file.users.get(user) !== record) {
      return "wrong-password";
    }
    this.#verified.set(cacheKey, record.hash);
    return this.principal(user) ?? "wrong-password";
  }

  async issueToken(user: string): Promise<IssuedToken | undefined> {
    const record = this.#file.users.get(user);
    if (record === undefined) return undefined;
    const expiresAtMs = this.o.wallMs() + this.#ttlMs;
    const mac = await hmacHex(await this.#tokenKey, `${user}\n${expiresAtMs}\n${record.hash}`);
    return { token: `tkv1:${user}:${expiresAtMs}:${mac}`, expiresAtMs };
  }

  /** A token's principal; the answer for a token seen before comes without awaiting. */
  verifyTokenCached(token: string): Principal | TokenFailure | undefined {
    const seen = this.#tokens.get(token);
    if (seen === undefined) return undefined;
    if (seen.expiresAtMs <= this.o.wallMs()) return "expired";
    return this.principal(seen.user) ?? "invalid";
  }

  async verifyToken(token: string): Promise<Principal | TokenFailure> {
    const cached = this.verifyTokenCached(token);
    if (cached !== undefined) return cached;
    if (token.length > AUTH_TOKEN_BYTES_MAX) return "invalid";
    const parts = token.split(":");
    if (parts.length !== 4 || parts[0] !== "tkv1" || !/^\d{1,15}$/.test(parts[2])) {
      return "invalid";
    }
    const [, user, expires, mac] = parts;
    const record = this.#file.users.get(user);
    if (record === undefined) return "invalid";
    const want = await hmacHex(await this.#tokenKey, `${user}\n${expires}\n${record.hash}`);
    if (!timingSafeEqualHex(want, mac)) return "invalid";
    const expiresAtMs = Number(expires);
    this.#tokens.set(token, { user, expiresAtMs });
    if (expiresAtMs <= this.o.wallMs()) return "expired";
    return this.principal(user) ?? "invalid";
  }

  #decoyIterations(): number {
    const first = this.#file.users.values().next();
    return first.done ? AUTH_HASH_ITERATIONS_DEFAULT : first.value.iterations;
  }

  #keyOf(file: AuthFile): Promise<CryptoKey> {
    const secret = file.tokenSecret === undefined ? undefined : fromHex(file.tokenSecret);
    // No shared secret: tokens are this process's own (valid on this node until it restarts).
    return hmacKey(secret ?? randomBytes(32));
  }
}

function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
