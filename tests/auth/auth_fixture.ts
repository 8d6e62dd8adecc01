/** Auth files for tests: real PBKDF2 hashes at the lowest allowed iteration count (fast). */
import { type AuthFile, type Role, serializeAuthFile } from "../../src/auth/auth_file.ts";
import { hashPassword } from "../../src/auth/password_hash.ts";
import { AUTH_HASH_ITERATIONS_MIN } from "../../src/limits_ops.ts";
import { toHex, utf8 } from "../../src/util/bytes.ts";

export interface TestUser {
  readonly password: string;
  readonly roles: readonly string[];
}

/**
 * The usual cast: `admin` (admin role), `alice` (read-write on `app/`), `reader` (read on
 * `app/`), and `default` (password `defaultpass`, read-write on `public/`).
 */
export const STANDARD_USERS: Readonly<Record<string, TestUser>> = {
  admin: { password: "adminpass", roles: ["admin"] },
  alice: { password: "alicepass", roles: ["app-rw"] },
  reader: { password: "readerpass", roles: ["app-ro"] },
  default: { password: "defaultpass", roles: ["public-rw"] },
};

export const STANDARD_ROLES: Readonly<Record<string, Role>> = {
  admin: { admin: true, permissions: [] },
  "app-rw": { admin: false, permissions: [{ prefix: "app/", access: "readwrite" }] },
  "app-ro": { admin: false, permissions: [{ prefix: "app/", access: "read" }] },
  "public-rw": { admin: false, permissions: [{ prefix: "public/", access: "readwrite" }] },
};

export async function authFileOf(
  users: Readonly<Record<string, TestUser>> = STANDARD_USERS,
  roles: Readonly<Record<string, Role>> = STANDARD_ROLES,
  /** null: no shared secret (each node signs with its own). */
  tokenSecret: string | null = toHex(utf8("a shared test token secret!")),
): Promise<AuthFile> {
  const records = await Promise.all(
    Object.entries(users).map(async ([name, u]) => {
      const h = await hashPassword(u.password, AUTH_HASH_ITERATIONS_MIN);
      return [name, { ...h, roles: u.roles }] as const;
    }),
  );
  return {
    users: new Map(records),
    roles: new Map(Object.entries(roles)),
    ...(tokenSecret === null ? {} : { tokenSecret }),
  };
}

/** The auth file's text, to write where a node's `--auth-file` points. */
export async function authFileText(
  users?: Readonly<Record<string, TestUser>>,
  roles?: Readonly<Record<string, Role>>,
): Promise<string> {
  return serializeAuthFile(await authFileOf(users, roles));
}
