/**
 * `tinykv local-cluster [--nodes 3] [--base-port P]`: a whole cluster in one process on
 * loopback, to try things. Node i listens on 7000+i (protobuf), 8000+i (HTTP) and
 * 6378+i (RESP); with --base-port P on P+i, P+100+i and P+200+i (so two clusters, or
 * a cluster beside a Redis, can share a host); data under ./data/local-cluster/node-i.
 */
import type { Platform, ProcessHost } from "../platform/types.ts";
import { type RunningServer, startServer } from "../server/server.ts";
import { REGION_SPLIT_BYTES_DEFAULT } from "../server/node/region_setting.ts";
import { UsageError } from "./usage_error.ts";
import { parsePort } from "./peers.ts";

export async function localCluster(
  nodesText: string | undefined,
  dataDir: string | undefined,
  platform: Platform,
  host: ProcessHost,
  basePortText?: string,
): Promise<number> {
  const n = Number(nodesText ?? "3");
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new UsageError("--nodes must be 1 to 9");
  const ports = localPorts(basePortText);
  const peers = new Map<number, string>();
  for (let i = 1; i <= n; i++) peers.set(i, `127.0.0.1:${ports.protobuf + i}`);
  const servers: RunningServer[] = [];
  for (let i = 1; i <= n; i++) {
    servers.push(
      await startServer(platform, {
        id: i,
        peers,
        dataDir: `${dataDir ?? "data/local-cluster"}/node-${i}`,
        httpPort: ports.http + i,
        respPort: ports.resp + i,
        regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT,
      }),
    );
    host.writeStdout(
      `node ${i}: protobuf 127.0.0.1:${ports.protobuf + i}  RESP 127.0.0.1:${ports.resp + i}  ` +
        `status http://127.0.0.1:${ports.http + i}/status\n`,
    );
  }
  host.writeStdout(
    `endpoints: ${[...peers.values()].join(",")}\n` +
      `dashboard: http://127.0.0.1:${ports.http + 1}/\nPress Ctrl-C to stop.\n`,
  );
  return await new Promise<number>((resolve) => {
    host.onShutdown(() => {
      Promise.all(servers.map((s) => s.close())).then(() => resolve(0), () => resolve(1));
    });
  });
}

/** The port before node 1's, per port kind (node i adds i). */
export function localPorts(basePortText: string | undefined) {
  if (basePortText === undefined) return { protobuf: 7000, http: 8000, resp: 6378 };
  const base = parsePort(basePortText, "--base-port");
  if (base < 1 || base + 209 > 65535) throw new UsageError("--base-port must be 1 to 65326");
  return { protobuf: base, http: base + 100, resp: base + 200 };
}
