/**
 * The data directory's identity: which cluster and node it belongs to. A
 * node refuses to start on a directory written by another cluster or node id
 * (an operator pointing two nodes at one disk, or a config change that would
 * silently mix histories).
 *
 *   IDENTITY := "tinykv-identity v1\n" "cluster " hex "\n" "node " id "\n"
 */
import type { FileSystem } from "../../platform/types.ts";
import { crc32c } from "../../util/crc32c.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";

export class IdentityError extends Error {
  override name = "IdentityError";
}

/** A stable id for the initial membership: CRC32C of the sorted "id=address" list. */
export function clusterIdOf(peers: ReadonlyMap<number, string>, token = ""): string {
  const text = [...peers].sort((a, b) => a[0] - b[0]).map(([id, a]) => `${id}=${a}`).join(",");
  return crc32c(utf8(`${text}|${token}`)).toString(16).padStart(8, "0");
}

export async function checkIdentity(
  fs: FileSystem,
  dataDir: string,
  clusterId: string,
  nodeId: number,
): Promise<void> {
  const path = `${dataDir}/IDENTITY`;
  const want = `tinykv-identity v1\ncluster ${clusterId}\nnode ${nodeId}\n`;
  if (fs.stat(path) !== undefined) {
    const have = fromUtf8(fs.readFile(path));
    const cluster = /cluster (\S+)/.exec(have)?.[1];
    const node = /node (\d+)/.exec(have)?.[1];
    if (node !== String(nodeId)) {
      throw new IdentityError(
        `data directory ${dataDir} belongs to node ${node ?? "?"}, not node ${nodeId}`,
      );
    }
    if (cluster !== clusterId) {
      throw new IdentityError(
        `data directory ${dataDir} belongs to another cluster (${cluster ?? "?"}); ` +
          `this one is ${clusterId}`,
      );
    }
    return;
  }
  fs.mkdir(dataDir);
  const tmp = `${path}.tmp`;
  const f = fs.open(tmp, { create: true, truncate: true });
  f.append(utf8(want));
  await f.sync();
  f.close();
  fs.rename(tmp, path);
  await fs.syncDir(dataDir);
}
