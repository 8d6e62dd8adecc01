/**
 * POST /auth/token: a JSON body {"user","password"} in, {"token","expiresAtMs"} out — the
 * bearer token the HTTP port's other routes want when the node has an auth file (the same
 * kind of token `tinykv auth token` prints). The body is read up to
 * HTTP_AUTH_BODY_BYTES_MAX and must be JSON, so a form on another site cannot log in either.
 */
import type { Context, Hono } from "hono";
import type { Authenticator } from "../../auth/authenticator.ts";
import { AUTH_PASSWORD_BYTES_MAX, HTTP_AUTH_BODY_BYTES_MAX } from "../../limits_ops.ts";
import { concatBytes, fromUtf8 } from "../../util/bytes.ts";
import { type HttpEnv, unauthorized } from "./http_auth.ts";

/** The body's bytes, or undefined when it is over `max` (declared or actually sent). */
async function readBounded(request: Request, max: number): Promise<Uint8Array | undefined> {
  if (Number(request.headers.get("Content-Length") ?? "0") > max) return undefined;
  const reader = request.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks);
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

/** {user, password}, or what is wrong with the body. */
function credentialsOf(body: Uint8Array): { user: string; password: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(body));
  } catch {
    return 'the body must be JSON: {"user": "...", "password": "..."}';
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return 'the body must be a JSON object: {"user": "...", "password": "..."}';
  }
  const { user, password, ...rest } = json as Record<string, unknown>;
  if (typeof user !== "string" || typeof password !== "string") {
    return "user and password must be strings";
  }
  const extra = Object.keys(rest);
  if (extra.length > 0) return `unknown field '${extra[0].slice(0, 40)}'`;
  return { user, password };
}

async function issue(c: Context<HttpEnv>, auth: Authenticator): Promise<Response> {
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("Content-Type") ?? "")) {
    return c.json({ error: "send the credentials as Content-Type: application/json" }, 415);
  }
  const body = await readBounded(c.req.raw, HTTP_AUTH_BODY_BYTES_MAX);
  if (body === undefined) {
    return c.json({ error: `the body is over ${HTTP_AUTH_BODY_BYTES_MAX} bytes` }, 413);
  }
  const credentials = credentialsOf(body);
  if (typeof credentials === "string") return c.json({ error: credentials }, 400);
  const result = await auth.authenticate(credentials.user, credentials.password);
  if (result === "too-long") {
    return c.json({ error: `the password is over ${AUTH_PASSWORD_BYTES_MAX} bytes` }, 400);
  }
  if (result === "busy") {
    c.header("Retry-After", "1");
    return c.json({ error: "too many password checks under way: try again shortly" }, 503);
  }
  const issued = result === "wrong-password" ? undefined : await auth.issueToken(result.user);
  if (issued === undefined) return unauthorized(c, "wrong user name or password", false);
  // A credential: no cache (browser or proxy) may keep a copy (as RFC 6749 §5.1 asks).
  c.header("Cache-Control", "no-store");
  return c.json({ token: issued.token, expiresAtMs: issued.expiresAtMs });
}

export function addTokenRoute(app: Hono<HttpEnv>, auth: Authenticator | undefined): void {
  app.post("/auth/token", (c) => {
    if (auth === undefined) {
      return c.json({ error: "authentication is off on this node (it has no --auth-file)" }, 404);
    }
    return issue(c, auth);
  });
}
