/**
 * Who is asking, and what they may touch: the user a connection or token authenticated as,
 * with the union of their roles' permissions. Every port asks the same questions of it
 * (docs/security.md). A range is allowed when ONE permission's prefix covers all of it; a
 * range spanning two granted prefixes is refused (simple to reason about, never too wide).
 */
import { compareBytes, hasPrefix, prefixEnd, utf8 } from "../util/bytes.ts";
import type { AuthFile, Permission } from "./auth_file.ts";

export interface Principal {
  /** The user's name; "" when authentication is off. */
  readonly user: string;
  /** Membership, snapshots, compaction and node configuration. */
  readonly admin: boolean;
  canRead(key: Uint8Array): boolean;
  canWrite(key: Uint8Array): boolean;
  /** Every key in [start, end); an empty `end` means "to the end of the keyspace". */
  canReadRange(start: Uint8Array, end: Uint8Array): boolean;
  canWriteRange(start: Uint8Array, end: Uint8Array): boolean;
}

/** Authentication is off: everything is allowed, as before users existed. */
export const UNRESTRICTED: Principal = {
  user: "",
  admin: true,
  canRead: () => true,
  canWrite: () => true,
  canReadRange: () => true,
  canWriteRange: () => true,
};

interface Grant {
  readonly prefix: Uint8Array;
  /** First key past the prefix's keys; undefined: the end of the keyspace. */
  readonly end: Uint8Array | undefined;
}

function grantOf(p: Permission): Grant {
  const prefix = utf8(p.prefix);
  return { prefix, end: prefixEnd(prefix) };
}

function covers(g: Grant, start: Uint8Array, end: Uint8Array): boolean {
  if (end.length > 0 && compareBytes(start, end) >= 0) return true; // an empty range
  if (compareBytes(start, g.prefix) < 0) return false;
  if (g.end === undefined) return true;
  return end.length > 0 && compareBytes(end, g.end) <= 0;
}

class UserPrincipal implements Principal {
  constructor(
    readonly user: string,
    readonly admin: boolean,
    readonly reads: readonly Grant[],
    readonly writes: readonly Grant[],
  ) {}

  canRead(key: Uint8Array): boolean {
    return this.admin || this.reads.some((g) => hasPrefix(key, g.prefix));
  }

  canWrite(key: Uint8Array): boolean {
    return this.admin || this.writes.some((g) => hasPrefix(key, g.prefix));
  }

  canReadRange(start: Uint8Array, end: Uint8Array): boolean {
    return this.admin || this.reads.some((g) => covers(g, start, end));
  }

  canWriteRange(start: Uint8Array, end: Uint8Array): boolean {
    return this.admin || this.writes.some((g) => covers(g, start, end));
  }
}

/**
 * The principal of a user in `file`; undefined when there is no such user. An admin role
 * reaches every key too: whoever can change membership or restore snapshots can read all.
 */
export function principalOf(file: AuthFile, user: string): Principal | undefined {
  const record = file.users.get(user);
  if (record === undefined) return undefined;
  let admin = false;
  const reads: Grant[] = [];
  const writes: Grant[] = [];
  for (const name of record.roles) {
    const role = file.roles.get(name);
    if (role === undefined) continue;
    admin ||= role.admin;
    for (const p of role.permissions) {
      if (p.access !== "write") reads.push(grantOf(p));
      if (p.access !== "read") writes.push(grantOf(p));
    }
  }
  return new UserPrincipal(user, admin, reads, writes);
}
