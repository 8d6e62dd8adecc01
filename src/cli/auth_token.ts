/**
 * `tinykv auth token --user U`: a token for `Authorization: Bearer` on the HTTP port. With
 * `--auth-file` it is signed offline with the file's tokenSecret (the operator holds the file);
 * without, the CLI logs in to a node with the user's password and prints what it issued.
 */
import { type AuthFile, AuthFileError } from "../auth/auth_file.ts";
import { Authenticator } from "../auth/authenticator.ts";
import { openAuthenticated } from "../client/client_auth.ts";
import { TinyKvError } from "../client/errors.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { readAuthFile } from "./auth_file_edit.ts";
import { endpointsOf } from "./client_commands.ts";
import { type CredentialFlags, passwordOf } from "./credential_flags.ts";
import { UsageError } from "./usage_error.ts";

const LOGIN_TIMEOUT_MS = 10_000;

/** A token signed with the file's tokenSecret, which every node sharing the file accepts. */
export async function offlineToken(file: AuthFile, user: string, wallMs: number): Promise<string> {
  if (file.tokenSecret === undefined) {
    throw new AuthFileError("the auth file has no tokenSecret: log in to a node instead");
  }
  const issued = await new Authenticator({ file, wallMs: () => wallMs }).issueToken(user);
  if (issued === undefined) throw new AuthFileError(`no user '${user}'`);
  return issued.token;
}

export async function authToken(
  flags: CredentialFlags & { readonly "auth-file"?: string; readonly endpoints?: string },
  platform: Platform,
  host: ProcessHost,
): Promise<string> {
  const user = flags.user ?? host.env("TINYKV_USER");
  if (user === undefined || user === "") throw new UsageError("auth token needs --user U");
  const path = flags["auth-file"];
  if (path !== undefined) {
    return await offlineToken(
      readAuthFile(platform.fs, path, false),
      user,
      platform.clock.wallMs(),
    );
  }
  const creds = { user, password: await passwordOf(flags, host) };
  let last: unknown;
  for (const address of endpointsOf(flags)) {
    try {
      const conn = await openAuthenticated(
        platform.net,
        platform.clock,
        address,
        creds,
        LOGIN_TIMEOUT_MS,
      );
      conn.close();
      return conn.authToken;
    } catch (err) {
      // A wrong password is wrong everywhere; an unreachable node may not be.
      if (!(err instanceof TinyKvError) || err.code !== "UNAVAILABLE") throw err;
      last = err;
    }
  }
  throw last;
}
