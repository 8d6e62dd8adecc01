/**
 * Who a CLI command logs in as: `--user`/`--password`, or TINYKV_USER/TINYKV_PASSWORD (safer:
 * argv is visible to every user of the machine in `ps`), or the password on stdin.
 */
import { AUTH_PASSWORD_BYTES_MAX } from "../limits_ops.ts";
import type { ProcessHost } from "../platform/types.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { UsageError } from "./usage_error.ts";

export interface CredentialFlags {
  readonly user?: string;
  readonly password?: string;
  readonly "password-stdin"?: boolean;
}

export interface ClientCredentials {
  readonly user?: string;
  readonly password?: string;
}

async function passwordFromStdin(host: ProcessHost): Promise<string> {
  if (host.readStdin === undefined) throw new UsageError("--password-stdin needs standard input");
  const bytes = await host.readStdin(AUTH_PASSWORD_BYTES_MAX + 2);
  // One trailing line break is the terminal's or echo's, not the password's.
  const text = fromUtf8(bytes).replace(/\r?\n$/, "");
  if (text.includes("\n")) throw new UsageError("the password on stdin must be one line");
  return text;
}

/** The password: from stdin (--password-stdin), --password or TINYKV_PASSWORD. */
export async function passwordOf(flags: CredentialFlags, host: ProcessHost): Promise<string> {
  const password = flags["password-stdin"] === true
    ? await passwordFromStdin(host)
    : flags.password ?? host.env("TINYKV_PASSWORD");
  if (password === undefined) {
    throw new UsageError(
      "give the password in TINYKV_PASSWORD, on stdin (--password-stdin) or with --password",
    );
  }
  if (password === "") throw new UsageError("the password is empty");
  return password;
}

/** The user and password a client command logs in with; none when no user is given. */
export async function clientCredentials(
  flags: CredentialFlags,
  host: ProcessHost,
): Promise<ClientCredentials> {
  const user = flags.user ?? host.env("TINYKV_USER");
  if (user === undefined || user === "") {
    if (flags.password !== undefined || flags["password-stdin"] === true) {
      throw new UsageError("--password goes with --user (or TINYKV_USER)");
    }
    return {};
  }
  return { user, password: await passwordOf(flags, host) };
}
