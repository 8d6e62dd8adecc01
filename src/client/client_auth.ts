/**
 * Logging in on the protobuf port (docs/protocol.md, "Authentication"): a connection trades
 * the user's password for a token once, then sends the token with every request. A token
 * that expires is traded again once, transparently (ClientCore).
 */
import type { Clock, Net } from "../platform/types.ts";
import { ClientConnection } from "./connection.ts";
import { fromWireError, TinyKvError } from "./errors.ts";

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** The options' credentials; both or neither of user and password must be given. */
export function credentialsOf(
  o: { readonly user?: string; readonly password?: string },
): Credentials | undefined {
  if (o.user === undefined && o.password === undefined) return undefined;
  if (o.user === undefined || o.user === "" || o.password === undefined) {
    throw new TinyKvError(
      "INVALID_ARGUMENT",
      "a user needs a password and the other way round",
      false,
    );
  }
  return { user: o.user, password: o.password };
}

/** Whether an error is about who the caller is or what they may do: retrying cannot help. */
export function isAuthFailure(err: TinyKvError): boolean {
  return err.code === "UNAUTHENTICATED" || err.code === "PERMISSION_DENIED";
}

/** Trades the credentials for a token, which every later request on `conn` carries. */
export async function authenticate(
  conn: ClientConnection,
  creds: Credentials,
  timeoutMs: number,
): Promise<void> {
  const r = await conn.call(
    { case: "authenticate", value: { user: creds.user, password: creds.password } },
    { timeoutMs },
  );
  const e = r.error;
  if (e !== undefined) {
    const err = fromWireError(e.code, e.message, e.leaderAddress);
    const why = `authenticating as '${creds.user}' at ${conn.address}: ${err.message}`;
    throw new TinyKvError(err.code, why, false);
  }
  if (r.body.case !== "authenticate") {
    throw new TinyKvError("UNAVAILABLE", `unexpected ${r.body.case} answer to authenticate`, false);
  }
  conn.authToken = r.body.value.token;
}

/** A connection to `address`, logged in when there are credentials. */
export async function openAuthenticated(
  net: Net,
  clock: Clock,
  address: string,
  creds: Credentials | undefined,
  timeoutMs: number,
): Promise<ClientConnection> {
  const conn = await ClientConnection.open(net, clock, address);
  if (creds === undefined) return conn;
  try {
    await authenticate(conn, creds, timeoutMs);
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}
