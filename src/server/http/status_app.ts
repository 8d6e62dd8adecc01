/**
 * The HTTP endpoint (docs/style.md §2.21): a Hono app with no runtime code, served by
 * the platform's `serveHttp(app.fetch)` and tested in-process with
 * `app.request()`. Routes and fields are fixed by docs/design.md §3:
 *
 *   GET /status   JSON: id, role, term, leader, commitIndex, appliedIndex, members, …
 *   GET /metrics  Prometheus text format
 *   GET /health   200 when the node has a leader and is caught up, else 503
 *   GET /cluster  JSON: every member's status and recent leader changes (cluster_view.ts)
 *   GET /         the live dashboard page (dashboard_page.ts), which polls /cluster
 *   GET /metrics/history?since=SEQ  JSON: the last minutes of metrics, for the dashboard's
 *                 charts (metrics_history.ts)
 *   GET /regions  JSON: the regions this node holds (regions_json.ts; docs/operations.md)
 *   GET /placement  JSON: the placement service's nodes, reports and planned operators
 *   POST /admin/* membership, leadership transfer, snapshot (admin_guard.ts: the admin
 *                 credential and a non-simple request, or refused)
 *   POST /auth/token  a bearer token for a user of the auth file (token_route.ts)
 *
 * With an auth file every route but PUBLIC_ROUTES needs a bearer token (http_auth.ts).
 */
import type { Authenticator } from "../../auth/authenticator.ts";
import { Hono } from "hono";
import type { Context } from "hono";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { parseSince } from "../metrics/metrics_history.ts";
import { DASHBOARD_HTML } from "./dashboard_page.ts";
import { adminGuard, type AdminGuardOptions } from "./admin_guard.ts";
import { type HttpEnv, requireToken } from "./http_auth.ts";
import { addTokenRoute } from "./token_route.ts";
import type { StatusSource } from "../node/status_types.ts";

/**
 * Admin operations; each resolves to a JSON-able result or throws an Error
 * with a message. Routes exist only for the operations provided.
 */
export interface AdminApi {
  addMember?(id: number, address: string): Promise<unknown>;
  removeMember?(id: number): Promise<unknown>;
  transferLeader?(id: number): Promise<unknown>;
  snapshot?(): Promise<unknown>;
  /** Marks a node draining in the placement service (`tinykv node drain`). */
  drainNode?(id: number): Promise<unknown>;
}

export interface StatusAppOptions {
  readonly source: StatusSource;
  readonly metrics: MetricsRegistry;
  readonly admin?: AdminApi;
  /** When set, admin routes need `Authorization: Bearer <token>`. */
  readonly adminToken?: string;
  /** Users and permissions; absent: authentication is off. */
  readonly auth?: Authenticator;
  /** `--http-admin-open`: admin routes need no credential when none is configured. */
  readonly httpAdminOpen?: boolean;
  /** The cluster view for /cluster and the dashboard; both exist only when it is given. */
  readonly cluster?: () => Promise<unknown>;
  /** Samples numbered above `since`, for GET /metrics/history; the route exists when given. */
  readonly history?: (since: number) => unknown;
  /** The regions this node holds, for GET /regions; the route exists when given. */
  readonly regions?: () => unknown;
  /** The placement service's view, for GET /placement; the route exists when given. */
  readonly placement?: () => unknown;
}

function positiveId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text) || Number(text) === 0) return undefined;
  return Number(text);
}

export function createStatusApp(options: StatusAppOptions): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  // First, so that every route below (and any added later) is behind it.
  if (options.auth !== undefined) app.use("*", requireToken(options.auth, options.adminToken));
  addTokenRoute(app, options.auth);
  app.get("/status", (c) => c.json(options.source.status()));
  app.get("/metrics", (c) =>
    c.text(options.metrics.render(), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    }));
  app.get("/health", (c) => {
    const ok = options.source.healthy();
    return c.json({ healthy: ok }, ok ? 200 : 503);
  });
  const cluster = options.cluster;
  if (cluster !== undefined) {
    app.get("/cluster", async (c) => c.json(await cluster()));
    app.get("/", (c) => c.html(DASHBOARD_HTML));
  }
  const history = options.history;
  if (history !== undefined) {
    app.get("/metrics/history", (c) => {
      const since = parseSince(c.req.query("since"));
      if (since === undefined) return c.json({ error: "since must be a whole number" }, 400);
      return c.json(history(since));
    });
  }
  const regions = options.regions;
  if (regions !== undefined) app.get("/regions", (c) => c.json(regions()));
  const placement = options.placement;
  if (placement !== undefined) app.get("/placement", (c) => c.json(placement()));
  const admin = options.admin;
  if (admin !== undefined) {
    const { adminToken, httpAdminOpen: open } = options;
    addAdminRoutes(app, admin, { authOn: options.auth !== undefined, adminToken, open });
  }
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => c.json({ error: err.message }, 500));
  return app;
}

function addAdminRoutes(app: Hono<HttpEnv>, admin: AdminApi, guard: AdminGuardOptions): void {
  app.use("/admin/*", adminGuard(guard));
  const run = async (c: Context, op: () => Promise<unknown>) => {
    try {
      return c.json({ ok: true, result: await op() });
    } catch (err) {
      return c.json({ ok: false, error: err instanceof Error ? err.message : String(err) }, 409);
    }
  };
  const badId = (c: Context) => c.json({ ok: false, error: "id must be a positive integer" }, 400);
  const { addMember, removeMember, transferLeader, snapshot } = admin;
  if (addMember !== undefined) {
    app.post("/admin/members/:id", (c) => {
      const id = positiveId(c.req.param("id"));
      const address = c.req.query("address");
      if (id === undefined) return badId(c);
      if (address === undefined || !/^[^\s:]+:\d{1,5}$/.test(address)) {
        return c.json({ ok: false, error: "address must be HOST:PORT" }, 400);
      }
      return run(c, () => addMember.call(admin, id, address));
    });
  }
  if (removeMember !== undefined) {
    app.delete("/admin/members/:id", (c) => {
      const id = positiveId(c.req.param("id"));
      return id === undefined ? badId(c) : run(c, () => removeMember.call(admin, id));
    });
  }
  if (transferLeader !== undefined) {
    app.post("/admin/transfer-leader/:id", (c) => {
      const id = positiveId(c.req.param("id"));
      return id === undefined ? badId(c) : run(c, () => transferLeader.call(admin, id));
    });
  }
  if (snapshot !== undefined) {
    app.post("/admin/snapshot", (c) => run(c, () => snapshot.call(admin)));
  }
  const drainNode = admin.drainNode;
  if (drainNode !== undefined) {
    app.post("/admin/drain/:id", (c) => {
      const id = positiveId(c.req.param("id"));
      return id === undefined ? badId(c) : run(c, () => drainNode.call(admin, id));
    });
  }
}
