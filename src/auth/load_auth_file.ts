/** Reads `--auth-file` through the platform's file system, bounded before it is read whole. */
import type { FileSystem } from "../platform/types.ts";
import { AUTH_FILE_BYTES_MAX } from "../limits_ops.ts";
import { type AuthFile, AuthFileError, parseAuthFile } from "./auth_file.ts";

export function loadAuthFile(fs: FileSystem, path: string): AuthFile {
  const stat = fs.stat(path);
  if (stat === undefined || stat.isDirectory) {
    throw new AuthFileError(`--auth-file ${path}: no such file`);
  }
  if (stat.size > AUTH_FILE_BYTES_MAX) {
    throw new AuthFileError(`--auth-file ${path}: over ${AUTH_FILE_BYTES_MAX} bytes`);
  }
  try {
    return parseAuthFile(fs.readFile(path));
  } catch (err) {
    throw new AuthFileError(`--auth-file ${path}: ${(err as Error).message}`);
  }
}
