/** In-process nodes with users on (an auth file from tests/auth/auth_fixture.ts), for port tests. */
import { Authenticator } from "../../../src/auth/authenticator.ts";
import { authenticate } from "../../../src/client/client_auth.ts";
import { ClientConnection } from "../../../src/client/connection.ts";
import { TinyKvClient } from "../../../src/client/tinykv_client.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { type RunningServer, startServer } from "../../../src/server/server.ts";
import { authFileOf } from "../../auth/auth_fixture.ts";
import { makeTempDir, removeTempDir } from "../../helpers/temp_dir.ts";
import { FAST_ELECTIONS, freePorts } from "../cluster_helpers.ts";

export const platform = getPlatform();

/** Tokens live this long here; `skew.ms` moves the nodes' wall clock to expire them. */
export const TOKEN_TTL_MS = 60_000;
export const CLUSTER_TOKEN = "test-cluster-token";
export const ADMIN_TOKEN = "test-admin-token";

export interface AuthCluster {
  readonly servers: RunningServer[];
  readonly addresses: string[];
  readonly skew: { ms: number };
  client(user?: string, password?: string, endpoints?: string[]): TinyKvClient;
  /** A bare connection to node `i` (index), optionally logged in. */
  connection(i: number, user?: string, password?: string): Promise<ClientConnection>;
  leaderIndex(): Promise<number>;
  close(): Promise<void>;
}

export async function startAuthCluster(size: number): Promise<AuthCluster> {
  const file = await authFileOf();
  const skew = { ms: 0 };
  const ports = await freePorts(size);
  const peers = new Map(ports.map((p, i) => [i + 1, `127.0.0.1:${p}`] as const));
  const dirs = ports.map((_, i) => makeTempDir(`tinykv-auth${i + 1}-`));
  const servers: RunningServer[] = [];
  const clients: TinyKvClient[] = [];
  const conns: ClientConnection[] = [];
  for (let i = 0; i < size; i++) {
    const auth = new Authenticator({
      file,
      wallMs: () => Date.now() + skew.ms,
      tokenTtlMs: TOKEN_TTL_MS,
    });
    servers.push(
      await startServer(platform, {
        id: i + 1,
        peers,
        dataDir: dirs[i],
        auth,
        clusterToken: size > 1 ? CLUSTER_TOKEN : undefined,
        adminToken: ADMIN_TOKEN,
        ...FAST_ELECTIONS,
      }),
    );
  }
  const addresses = [...peers.values()];
  return {
    servers,
    addresses,
    skew,
    client(user, password, endpoints = addresses) {
      const c = new TinyKvClient({
        endpoints,
        net: platform.net,
        clock: platform.clock,
        seed: platform.randomSeed(),
        deadlineMs: 5000,
        attemptTimeoutMs: 2000,
        user,
        password,
      });
      clients.push(c);
      return c;
    },
    async connection(i, user, password) {
      const conn = await ClientConnection.open(platform.net, platform.clock, addresses[i]);
      conns.push(conn);
      if (user !== undefined) await authenticate(conn, { user, password: password ?? "" }, 2000);
      return conn;
    },
    async leaderIndex() {
      for (let n = 0; n < 250; n++) {
        const i = servers.findIndex((s) => s.node.status().role === "leader");
        if (i >= 0) return i;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("no leader within 5 s");
    },
    async close() {
      clients.forEach((c) => c.close());
      conns.forEach((c) => c.close());
      for (const s of servers) await s.close();
      dirs.forEach(removeTempDir);
    },
  };
}
