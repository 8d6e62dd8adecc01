/**
 * Who is asking on one protobuf connection, and whether they may (docs/protocol.md,
 * "Authentication"). With authentication off every request is served as before. With it
 * on, a request carries a token from AuthenticateRequest; the authenticator remembers the
 * tokens it verified, so after a token's first request the check is synchronous and costs a
 * map lookup. A peer that proved itself with the cluster token is a node, not a user: a
 * follower forwarding a client's request checked that client's permissions itself.
 */
import type { Authenticator } from "../../auth/authenticator.ts";
import { type Principal, UNRESTRICTED } from "../../auth/principal.ts";
import {
  type AuthenticateRequest,
  type ClientRequest,
  ErrorCode,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import { accessDenial } from "./request_access.ts";
import { errorResponse, type ResponseInit } from "./responses.ts";

export type Verdict =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly refusal: ResponseInit };

const SERVE: Verdict = { ok: true, principal: UNRESTRICTED };

function refuse(code: ErrorCode, message: string): Verdict {
  return { ok: false, refusal: errorResponse(code, message) };
}

/** Requests the node's `--admin-token` alone may run (it predates users). */
function takesAdminToken(req: ClientRequest): boolean {
  const c = req.body.case;
  return c === "memberAdd" || c === "memberRemove" || c === "transferLeader" ||
    c === "snapshot" || c === "compact" || c === "placement";
}

export class ConnectionAuth {
  #peer = false;

  constructor(readonly auth: Authenticator | undefined, readonly adminToken?: string) {}

  /** A peer presented the cluster token: its requests are trusted as a node's. */
  trustPeer(): void {
    this.#peer = true;
  }

  /** Whether admin requests may skip the admin token (an admin user or a trusted peer). */
  adminByRole(v: Verdict): boolean {
    return this.auth !== undefined && v.ok && v.principal.admin;
  }

  /** Whether `req` may run: at once when the token was seen before, else after checking it. */
  check(req: ClientRequest): Verdict | Promise<Verdict> {
    const auth = this.auth;
    if (auth === undefined || this.#peer) return SERVE;
    const t = this.adminToken;
    if (t !== undefined && req.adminToken === t && takesAdminToken(req)) return SERVE;
    const token = req.authToken;
    if (token === "") {
      return refuse(ErrorCode.UNAUTHENTICATED, "authentication required: no token sent");
    }
    const seen = auth.verifyTokenCached(token);
    if (seen !== undefined) return decide(seen, req);
    return auth.verifyToken(token).then((r) => decide(r, req));
  }
}

function decide(r: Principal | "invalid" | "expired", req: ClientRequest): Verdict {
  if (r === "expired") {
    return refuse(ErrorCode.TOKEN_EXPIRED, "the token has expired: authenticate again");
  }
  if (r === "invalid") {
    return refuse(ErrorCode.UNAUTHENTICATED, "invalid token (not issued for this cluster?)");
  }
  const why = accessDenial(r, req);
  if (why === undefined) return { ok: true, principal: r };
  return refuse(ErrorCode.PERMISSION_DENIED, `user '${r.user}': ${why}`);
}

/** Answers an AuthenticateRequest: a token for a right user and password. */
export async function handleAuthenticate(
  auth: Authenticator | undefined,
  body: AuthenticateRequest,
): Promise<ResponseInit> {
  if (auth === undefined) {
    return errorResponse(ErrorCode.FAILED_PRECONDITION, "authentication is off on this node");
  }
  const result = await auth.authenticate(body.user, body.password);
  if (result === "busy") {
    return errorResponse(ErrorCode.UNAVAILABLE, "too many password checks queued: retry");
  }
  if (typeof result === "string") {
    return errorResponse(ErrorCode.UNAUTHENTICATED, "wrong user name or password");
  }
  const issued = await auth.issueToken(result.user);
  if (issued === undefined) {
    return errorResponse(ErrorCode.UNAUTHENTICATED, "wrong user name or password");
  }
  return {
    body: {
      case: "authenticate",
      value: { token: issued.token, expiresAtMs: BigInt(issued.expiresAtMs) },
    },
  };
}
