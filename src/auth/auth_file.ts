/**
 * The auth file (`--auth-file`): users with salted password hashes, and roles granting
 * read / write access on key prefixes plus the cluster-wide admin right
 * (docs/decisions/0011-users-and-permissions.md, docs/security.md). JSON, strictly
 * checked: an unknown field, a dangling role or a malformed hash is an error that names
 * the place, so a typo cannot silently grant or deny access.
 */
import {
  AUTH_FILE_BYTES_MAX,
  AUTH_NAME_BYTES_MAX,
  AUTH_PERMISSIONS_PER_ROLE_MAX,
  AUTH_ROLES_MAX,
  AUTH_USERS_MAX,
} from "../limits_ops.ts";
import { KEY_BYTES_MAX } from "../limits.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { checkIterations, fromHex, type PasswordHash } from "./password_hash.ts";

export type Access = "read" | "write" | "readwrite";

export interface Permission {
  /** Keys starting with these bytes (UTF-8); "" is every key. */
  readonly prefix: string;
  readonly access: Access;
}

export interface Role {
  readonly permissions: readonly Permission[];
  /** Membership, snapshots, compaction, node configuration: cluster-wide. */
  readonly admin: boolean;
}

export interface UserRecord extends PasswordHash {
  readonly roles: readonly string[];
}

export interface AuthFile {
  /** HMAC key for tokens, hex; nodes sharing it accept each other's tokens. */
  readonly tokenSecret?: string;
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly roles: ReadonlyMap<string, Role>;
}

export class AuthFileError extends Error {
  override name = "AuthFileError";
}

const ACCESS: readonly string[] = ["read", "write", "readwrite"];
const NAME = /^[A-Za-z0-9_.@-]+$/;

type Json = Record<string, unknown>;

function objectAt(value: unknown, where: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AuthFileError(`${where} must be an object`);
  }
  return value as Json;
}

function onlyFields(o: Json, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new AuthFileError(`${where}: unknown field '${k}'`);
  }
}

function stringAt(o: Json, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== "string") throw new AuthFileError(`${where}.${field} must be a string`);
  return v;
}

export function checkName(name: string, what: string): void {
  if (!NAME.test(name) || utf8(name).length > AUTH_NAME_BYTES_MAX) {
    throw new AuthFileError(
      `${what} '${name.slice(0, 40)}' must be 1-${AUTH_NAME_BYTES_MAX} characters of ` +
        `A-Z a-z 0-9 _ . @ -`,
    );
  }
}

function parsePermission(value: unknown, where: string): Permission {
  const o = objectAt(value, where);
  onlyFields(o, ["prefix", "access"], where);
  const prefix = stringAt(o, "prefix", where);
  const access = stringAt(o, "access", where);
  if (!ACCESS.includes(access)) {
    throw new AuthFileError(`${where}.access must be read, write or readwrite`);
  }
  if (utf8(prefix).length > KEY_BYTES_MAX) {
    throw new AuthFileError(`${where}.prefix is longer than a key (${KEY_BYTES_MAX} bytes)`);
  }
  return { prefix, access: access as Access };
}

function parseRole(value: unknown, where: string): Role {
  const o = objectAt(value, where);
  onlyFields(o, ["permissions", "admin"], where);
  const list = o.permissions ?? [];
  if (!Array.isArray(list)) throw new AuthFileError(`${where}.permissions must be a list`);
  if (list.length > AUTH_PERMISSIONS_PER_ROLE_MAX) {
    throw new AuthFileError(`${where} has over ${AUTH_PERMISSIONS_PER_ROLE_MAX} permissions`);
  }
  const admin = o.admin ?? false;
  if (typeof admin !== "boolean") throw new AuthFileError(`${where}.admin must be true or false`);
  return {
    permissions: list.map((p, i) => parsePermission(p, `${where}.permissions[${i}]`)),
    admin,
  };
}

function parseUser(value: unknown, where: string, roles: ReadonlyMap<string, Role>): UserRecord {
  const o = objectAt(value, where);
  onlyFields(o, ["salt", "iterations", "hash", "roles"], where);
  const salt = stringAt(o, "salt", where);
  const hash = stringAt(o, "hash", where);
  if (fromHex(salt) === undefined || (fromHex(salt)?.length ?? 0) < 8) {
    throw new AuthFileError(`${where}.salt must be at least 8 bytes of hex`);
  }
  if (fromHex(hash)?.length !== 32) {
    throw new AuthFileError(`${where}.hash must be 32 bytes of hex`);
  }
  const iterations = o.iterations;
  if (typeof iterations !== "number") throw new AuthFileError(`${where}.iterations: a number`);
  try {
    checkIterations(iterations);
  } catch (err) {
    throw new AuthFileError(`${where}.${(err as Error).message}`);
  }
  const names = o.roles ?? [];
  if (!Array.isArray(names) || !names.every((r) => typeof r === "string")) {
    throw new AuthFileError(`${where}.roles must be a list of role names`);
  }
  for (const r of names) {
    if (!roles.has(r)) throw new AuthFileError(`${where}: role '${r}' is not defined`);
  }
  return { salt, hash, iterations, roles: names };
}

function entriesOf(o: Json, field: string, max: number): [string, unknown][] {
  const entries = Object.entries(objectAt(o[field] ?? {}, field));
  if (entries.length > max) throw new AuthFileError(`${field}: more than ${max}`);
  return entries;
}

/** Parses and checks an auth file; throws AuthFileError naming what is wrong and where. */
export function parseAuthFile(bytes: Uint8Array): AuthFile {
  if (bytes.length > AUTH_FILE_BYTES_MAX) {
    throw new AuthFileError(`the auth file is over ${AUTH_FILE_BYTES_MAX} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch (err) {
    throw new AuthFileError(`the auth file is not JSON: ${(err as Error).message}`);
  }
  const top = objectAt(json, "the auth file");
  onlyFields(top, ["version", "tokenSecret", "users", "roles"], "the auth file");
  if (top.version !== 1) throw new AuthFileError("the auth file's version must be 1");
  const roles = new Map<string, Role>();
  for (const [name, r] of entriesOf(top, "roles", AUTH_ROLES_MAX)) {
    checkName(name, "role");
    roles.set(name, parseRole(r, `roles.${name}`));
  }
  const users = new Map<string, UserRecord>();
  for (const [name, u] of entriesOf(top, "users", AUTH_USERS_MAX)) {
    checkName(name, "user");
    users.set(name, parseUser(u, `users.${name}`, roles));
  }
  const secret = top.tokenSecret;
  if (secret !== undefined && (typeof secret !== "string" || (fromHex(secret)?.length ?? 0) < 16)) {
    throw new AuthFileError("tokenSecret must be at least 16 bytes of hex");
  }
  return { users, roles, ...(secret === undefined ? {} : { tokenSecret: secret as string }) };
}

/** The file's text: stable field order, one user or role per block, for diffs and review. */
export function serializeAuthFile(file: AuthFile): string {
  const sorted = <T>(m: ReadonlyMap<string, T>) =>
    Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const users = [...file.users].map(([name, u]) =>
    [name, { salt: u.salt, iterations: u.iterations, hash: u.hash, roles: u.roles }] as const
  );
  const roles = [...file.roles].map(([name, r]) =>
    [name, { admin: r.admin, permissions: r.permissions }] as const
  );
  const out = {
    version: 1,
    ...(file.tokenSecret === undefined ? {} : { tokenSecret: file.tokenSecret }),
    roles: sorted(new Map(roles)),
    users: sorted(new Map(users)),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
