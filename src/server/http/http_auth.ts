/**
 * Who is asking on the HTTP port (docs/operations.md, "HTTP authentication"). With an auth
 * file, every route needs `Authorization: Bearer <token>` (a token from POST /auth/token, or
 * the node's `--admin-token`) except the few in PUBLIC_ROUTES; one middleware in front of
 * the whole app, so a route added later is covered without anyone remembering to.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Authenticator } from "../../auth/authenticator.ts";
import { type Principal, UNRESTRICTED } from "../../auth/principal.ts";

/** The app's context: the caller's principal, set by `requireToken` when auth is on. */
export interface HttpEnv {
  Variables: { principal?: Principal };
}

/**
 * Routes anyone may call with auth on: the load balancer's health check, the login itself,
 * and the dashboard page (static, no data in it; its script logs in and sends the token).
 */
export const PUBLIC_ROUTES: readonly string[] = ["GET /health", "POST /auth/token", "GET /"];

/** What the static `--admin-token` authenticates as: an admin (it reaches everything). */
export const ADMIN_TOKEN_PRINCIPAL: Principal = { ...UNRESTRICTED, user: "(admin token)" };

/** The bearer token of `Authorization: Bearer T`, or undefined. */
export function bearerOf(c: Context): string | undefined {
  const header = c.req.header("Authorization");
  const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return m === null ? undefined : m[1];
}

/** Compares without an early exit: the time taken says nothing about a guessed token. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** 401 with the challenge RFC 6750 asks for, and a JSON body saying what to do. */
export function unauthorized(c: Context, error: string, invalid: boolean): Response {
  const realm = 'Bearer realm="tinykv"';
  c.header("WWW-Authenticate", invalid ? `${realm}, error="invalid_token"` : realm);
  return c.json({ error }, 401);
}

const HOW = "send Authorization: Bearer <token> (a token from POST /auth/token)";

/** The middleware that checks the bearer token of every non-public request. */
export function requireToken(
  auth: Authenticator,
  adminToken: string | undefined,
): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (PUBLIC_ROUTES.includes(`${method} ${c.req.path}`)) return await next();
    const token = bearerOf(c);
    if (token === undefined) return unauthorized(c, `authentication required: ${HOW}`, false);
    if (adminToken !== undefined && sameSecret(token, adminToken)) {
      c.set("principal", ADMIN_TOKEN_PRINCIPAL);
      return await next();
    }
    const principal = await auth.verifyToken(token);
    if (principal === "expired") return unauthorized(c, `token expired: ${HOW}`, true);
    if (principal === "invalid") return unauthorized(c, `invalid token: ${HOW}`, true);
    c.set("principal", principal);
    return await next();
  };
}
