/**
 * The gate in front of the mutating admin routes (membership, leadership transfer, snapshot),
 * safe by default with or without an auth file (docs/operations.md, "The admin routes"):
 *
 * 1. only POST and DELETE: a GET (an <img> or a link on some web page) changes nothing;
 * 2. the admin credential: with an auth file, a token of a user with the admin role (or the
 *    `--admin-token`); without one, the `--admin-token`; with neither, the routes are closed
 *    unless the operator opted out with `--http-admin-open`;
 * 3. a request a browser will not send cross-site without asking the node first (a CORS
 *    preflight, which this node never approves): the `X-TinyKV-Admin` header or a JSON
 *    content type. A form on another site can POST, but with neither, so even an opted-out
 *    node cannot be driven by a page open in its operator's browser.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerOf, type HttpEnv, sameSecret, unauthorized } from "./http_auth.ts";

/** The custom header that marks a request as made on purpose by a tool, not a web page. */
export const ADMIN_HEADER = "X-TinyKV-Admin";

export interface AdminGuardOptions {
  /** Auth is on: `requireToken` has set the caller's principal. */
  readonly authOn: boolean;
  readonly adminToken?: string;
  /** `--http-admin-open`: no credential needed when the node has none configured. */
  readonly open?: boolean;
}

const MUTATING = ["POST", "DELETE"];

export const CLOSED_MESSAGE = "the HTTP admin routes are closed: start the node with " +
  "--admin-token T (and send Authorization: Bearer T) or --auth-file (a user with the admin " +
  "role), or opt out with --http-admin-open";

export const NOT_SIMPLE_MESSAGE = `admin requests need the header ${ADMIN_HEADER}: 1 or ` +
  "Content-Type: application/json (which a cross-site form or image cannot send)";

function credentialRefusal(c: Context<HttpEnv>, o: AdminGuardOptions): Response | undefined {
  if (o.authOn) {
    const principal = c.get("principal");
    if (principal === undefined) return unauthorized(c, "authentication required", false);
    if (principal.admin) return undefined;
    return c.json({ error: `user '${principal.user}' does not have the admin role` }, 403);
  }
  if (o.adminToken !== undefined) {
    const token = bearerOf(c);
    if (token !== undefined && sameSecret(token, o.adminToken)) return undefined;
    return unauthorized(
      c,
      "admin token required: send Authorization: Bearer <the node's --admin-token>",
      token !== undefined,
    );
  }
  return o.open === true ? undefined : c.json({ error: CLOSED_MESSAGE }, 403);
}

/** True when a browser would have had to ask (a preflight) before sending this request. */
function notSimple(c: Context): boolean {
  const marker = c.req.header(ADMIN_HEADER);
  if (marker !== undefined && marker !== "") return true;
  return /^application\/json\s*(;|$)/i.test(c.req.header("Content-Type") ?? "");
}

export function adminGuard(o: AdminGuardOptions): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (!MUTATING.includes(c.req.method)) {
      c.header("Allow", MUTATING.join(", "));
      return c.json({ error: `admin routes take ${MUTATING.join(" or ")}` }, 405);
    }
    const refusal = credentialRefusal(c, o);
    if (refusal !== undefined) return refusal;
    if (!notSimple(c)) return c.json({ error: NOT_SIMPLE_MESSAGE }, 403);
    return await next();
  };
}
