/**
 * Offline edits of an auth file (docs/operations.md, "Users and roles"): read it (or start a
 * new one with a fresh tokenSecret), change it, check the result parses, and replace the
 * file atomically (a temporary file, synced, renamed over it), so a node reloading it on
 * SIGHUP never reads half a file.
 */
import {
  type AuthFile,
  AuthFileError,
  parseAuthFile,
  serializeAuthFile,
} from "../auth/auth_file.ts";
import { randomBytes } from "../auth/password_hash.ts";
import type { FileSystem } from "../platform/types.ts";
import { toHex, utf8 } from "../util/bytes.ts";

const TOKEN_SECRET_BYTES = 32;

/** The file at `path`; a new empty one (with a tokenSecret) when `create` and it is absent. */
export function readAuthFile(fs: FileSystem, path: string, create: boolean): AuthFile {
  const stat = fs.stat(path);
  if (stat === undefined) {
    if (!create) throw new AuthFileError(`${path}: no such auth file`);
    return {
      tokenSecret: toHex(randomBytes(TOKEN_SECRET_BYTES)),
      users: new Map(),
      roles: new Map(),
    };
  }
  if (stat.isDirectory) throw new AuthFileError(`${path} is a directory`);
  try {
    return parseAuthFile(fs.readFile(path));
  } catch (err) {
    throw new AuthFileError(`${path}: ${(err as Error).message}`);
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** Writes `file` over `path` atomically, after checking that what is written parses back. */
export async function writeAuthFile(fs: FileSystem, path: string, file: AuthFile): Promise<void> {
  const bytes = utf8(serializeAuthFile(file));
  parseAuthFile(bytes); // a bound or a name the parser refuses fails here, not on the nodes
  const tmp = `${path}.tmp-${toHex(randomBytes(4))}`;
  const f = fs.open(tmp, { create: true, exclusive: true });
  try {
    f.append(bytes);
    await f.sync();
  } finally {
    f.close();
  }
  try {
    fs.rename(tmp, path);
  } catch (err) {
    fs.remove(tmp);
    throw err;
  }
  await fs.syncDir(dirOf(path));
}
