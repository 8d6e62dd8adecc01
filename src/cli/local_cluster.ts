/**
 * `tinykv local-cluster [--nodes 3]`: a whole cluster in one process on
 * loopback, to try things. Node i listens on 7000+i (protobuf), 8000+i
 * (HTTP) and 6378+i (RESP); data under ./data/local-cluster/node-i.
 */
import type { Platform, ProcessHost } from "../platform/types.ts";
import { type RunningServer, startServer } from "../server/server.ts";
import { UsageError } from "./usage_error.ts";

export async function localCluster(
  nodesText: string | undefined,
  dataDir: string | undefined,
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const n = Number(nodesText ?? "3");
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new UsageError("--nodes must be 1 to 9");
  const peers = new Map<number, string>();
  for (let i = 1; i <= n; i++) peers.set(i, `127.0.0.1:${7000 + i}`);
  const servers: RunningServer[] = [];
  for (let i = 1; i <= n; i++) {
    servers.push(
      await startServer(platform, {
        id: i,
        peers,
        dataDir: `${dataDir ?? "data/local-cluster"}/node-${i}`,
        httpPort: 8000 + i,
        respPort: 6378 + i,
      }),
    );
    host.writeStdout(
      `node ${i}: protobuf 127.0.0.1:${7000 + i}  RESP 127.0.0.1:${6378 + i}  ` +
        `status http://127.0.0.1:${8000 + i}/status\n`,
    );
  }
  host.writeStdout(
    `endpoints: ${[...peers.values()].join(",")}\n` +
      `dashboard: http://127.0.0.1:8001/\nPress Ctrl-C to stop.\n`,
  );
  return await new Promise<number>((resolve) => {
    host.onShutdown(() => {
      Promise.all(servers.map((s) => s.close())).then(() => resolve(0), () => resolve(1));
    });
  });
}
