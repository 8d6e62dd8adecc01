/**
 * `tinykv user …`, `tinykv role …` and `tinykv auth token`: edit an auth file offline
 * (docs/decisions/0011-users-and-permissions.md: the operator copies it to every node and
 * sends SIGHUP), and print a token for HTTP bearer use.
 */
import {
  type AuthFile,
  AuthFileError,
  checkName,
  type Permission,
  type Role,
  type UserRecord,
} from "../auth/auth_file.ts";
import { hashPassword } from "../auth/password_hash.ts";
import { AUTH_HASH_ITERATIONS_DEFAULT } from "../limits_ops.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { authToken } from "./auth_token.ts";
import { type CredentialFlags, passwordOf } from "./credential_flags.ts";
import { readAuthFile, writeAuthFile } from "./auth_file_edit.ts";
import { UsageError } from "./usage_error.ts";

export interface AuthFlags extends CredentialFlags {
  readonly "auth-file"?: string;
  readonly roles?: string;
  readonly read?: string[];
  readonly write?: string[];
  readonly readwrite?: string[];
  readonly admin?: boolean;
  readonly replace?: boolean;
  readonly iterations?: string;
  readonly json?: boolean;
  readonly endpoints?: string;
}

type Edit = (file: AuthFile) => Promise<AuthFile> | AuthFile;

function fileFlag(flags: AuthFlags): string {
  const path = flags["auth-file"];
  if (path === undefined || path === "") {
    throw new UsageError("this command needs --auth-file FILE");
  }
  return path;
}

function one(args: readonly string[], usage: string): string {
  if (args.length !== 1) throw new UsageError(`usage: tinykv ${usage}`);
  return args[0];
}

function iterationsOf(flags: AuthFlags): number {
  const text = flags.iterations;
  if (text === undefined) return AUTH_HASH_ITERATIONS_DEFAULT;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError("--iterations must be a whole number");
  return Number(text);
}

function rolesOf(flags: AuthFlags, file: AuthFile): string[] {
  const names = (flags.roles ?? "").split(",").filter((r) => r !== "");
  for (const r of names) {
    if (!file.roles.has(r)) throw new AuthFileError(`role '${r}' is not defined (tinykv role add)`);
  }
  return [...new Set(names)];
}

function withUser(file: AuthFile, name: string, record: UserRecord | undefined): AuthFile {
  const users = new Map(file.users);
  if (record === undefined) users.delete(name);
  else users.set(name, record);
  return { ...file, users };
}

function existingUser(file: AuthFile, name: string) {
  const u = file.users.get(name);
  if (u === undefined) throw new AuthFileError(`no user '${name}'`);
  return u;
}

async function userEdit(
  sub: string,
  args: readonly string[],
  flags: AuthFlags,
  host: ProcessHost,
): Promise<Edit | "list"> {
  switch (sub) {
    case "add": {
      const name = one(args, "user add NAME --auth-file F [--roles R1,R2] [--password-stdin]");
      checkName(name, "user");
      const password = await passwordOf(flags, host);
      const hash = await hashPassword(password, iterationsOf(flags));
      return (file) => {
        if (file.users.has(name)) {
          throw new AuthFileError(`user '${name}' already exists (tinykv user passwd)`);
        }
        return withUser(file, name, { ...hash, roles: rolesOf(flags, file) });
      };
    }
    case "passwd": {
      const name = one(args, "user passwd NAME --auth-file F [--password-stdin]");
      const password = await passwordOf(flags, host);
      const hash = await hashPassword(password, iterationsOf(flags));
      return (file) => withUser(file, name, { ...hash, roles: existingUser(file, name).roles });
    }
    case "set-roles": {
      const name = one(args, "user set-roles NAME --roles R1,R2 --auth-file F");
      return (file) =>
        withUser(file, name, { ...existingUser(file, name), roles: rolesOf(flags, file) });
    }
    case "remove": {
      const name = one(args, "user remove NAME --auth-file F");
      return (file) => withUser(file, (existingUser(file, name), name), undefined);
    }
    case "list":
      return "list";
    default:
      throw new UsageError(`unknown command 'user ${sub}' (add, passwd, set-roles, remove, list)`);
  }
}

function permissionsOf(flags: AuthFlags): Permission[] {
  const list = (prefixes: string[] | undefined, access: Permission["access"]) =>
    (prefixes ?? []).map((prefix) => ({ prefix, access }));
  return [
    ...list(flags.read, "read"),
    ...list(flags.write, "write"),
    ...list(flags.readwrite, "readwrite"),
  ];
}

function roleEdit(sub: string, args: readonly string[], flags: AuthFlags): Edit | "list" {
  switch (sub) {
    case "add": {
      const name = one(args, "role add NAME --auth-file F [--read P]... [--write P]... [--admin]");
      checkName(name, "role");
      const role: Role = { admin: flags.admin === true, permissions: permissionsOf(flags) };
      return (file) => {
        if (file.roles.has(name) && flags.replace !== true) {
          throw new AuthFileError(`role '${name}' already exists (--replace to change it)`);
        }
        return { ...file, roles: new Map([...file.roles, [name, role]]) };
      };
    }
    case "remove": {
      const name = one(args, "role remove NAME --auth-file F");
      return (file) => {
        if (!file.roles.has(name)) throw new AuthFileError(`no role '${name}'`);
        const holders = [...file.users].filter(([, u]) => u.roles.includes(name));
        if (holders.length > 0) {
          const who = holders.map(([n]) => n).slice(0, 5).join(", ");
          throw new AuthFileError(`role '${name}' is held by ${who} (tinykv user set-roles first)`);
        }
        const roles = new Map(file.roles);
        roles.delete(name);
        return { ...file, roles };
      };
    }
    case "list":
      return "list";
    default:
      throw new UsageError(`unknown command 'role ${sub}' (add, remove, list)`);
  }
}

function listing(kind: "user" | "role", file: AuthFile, json: boolean): string {
  const describe = (
    r: Role,
  ) => [...(r.admin ? ["admin"] : []), ...r.permissions.map((p) => `${p.access}:${p.prefix}`)];
  const rows: [string, string[]][] = kind === "user"
    ? [...file.users].map(([n, u]) => [n, [...u.roles]])
    : [...file.roles].map(([n, r]) => [n, describe(r)]);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (json) return `${JSON.stringify(Object.fromEntries(rows))}\n`;
  return rows.map(([n, v]) => `${n}\t${v.join(" ")}\n`).join("");
}

/** Runs `tinykv user|role|auth SUB …`; resolves with the exit code. */
export async function runAuthCommand(
  command: string,
  args: readonly string[],
  flags: AuthFlags,
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const [sub = "", ...rest] = args;
  if (command === "auth") {
    if (sub !== "token" || rest.length > 0) {
      throw new UsageError("usage: tinykv auth token --user U");
    }
    host.writeStdout(`${await authToken(flags, platform, host)}\n`);
    return 0;
  }
  const edit = command === "user"
    ? await userEdit(sub, rest, flags, host)
    : roleEdit(sub, rest, flags);
  const path = fileFlag(flags);
  const fs = platform.fs;
  if (edit === "list") {
    host.writeStdout(
      listing(
        command === "user" ? "user" : "role",
        readAuthFile(fs, path, false),
        flags.json === true,
      ),
    );
    return 0;
  }
  const creates = sub === "add";
  await writeAuthFile(fs, path, await edit(readAuthFile(fs, path, creates)));
  return 0;
}
