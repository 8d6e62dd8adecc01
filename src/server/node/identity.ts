/**
 * The data directory's identity: which cluster and node it belongs to
 * (docs/decisions/0013-first-hour.md). A node refuses to start on a directory
 * written for another node id, and a directory of another cluster is found
 * when its peers answer (membership_check.ts).
 *
 *   IDENTITY := "tinykv-identity v2\n" "cluster " (hex | "-") "\n" "node " id "\n"
 *               [ "regions split\n" ] [ "joined\n" ]
 *
 * The cluster id is decided once, when the directory is created: for a new
 * cluster from its initial voter ids and cluster token (so every founding node
 * computes the same one, whatever host names `--peers` spells); a node that
 * joins writes "-" and records the id its cluster's members report. It is never
 * recomputed from `--peers` again. A v1 file (cluster = CRC32C of the `--peers`
 * text, 8 hex digits) is read, kept as it was, and rewritten as v2.
 *
 * "regions split" marks a directory whose node splits regions (region_setting.ts): once written
 * it stays, whatever `--region-split-bytes` says later, since its revisions are timestamps and its
 * peers take region images from it. The line is optional so that an older build still reads the
 * file (its patterns skip a line they do not know).
 *
 * "joined" marks a directory created by `--join`: it never bootstraps a cluster of its own, even
 * when the node is restarted without the flag before its first configuration arrived (a restart
 * without it once saved a founder's term-1 state over the term its cluster had sent: the
 * whole-node simulator's seed 364 with merges).
 */
import type { FileSystem } from "../../platform/types.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import { sha256 } from "../../util/sha256.ts";

export class IdentityError extends Error {
  override name = "IdentityError";
}

export interface Identity {
  /** Undefined while a joining node has not learned its cluster's id. */
  readonly clusterId: string | undefined;
  readonly nodeId: number;
  /** The file's format version (1: written before cluster ids were decided once). */
  readonly version?: number;
  /** The directory's node splits regions ("regions split"; region_setting.ts). */
  readonly regionsSplit?: boolean;
  /** The directory was created by `--join` ("joined"): it never bootstraps a cluster. */
  readonly joined?: boolean;
}

/** A v1 cluster id (8 hex digits): computed from the `--peers` text, per node. */
export function isLegacyClusterId(id: string): boolean {
  return /^[0-9a-f]{8}$/.test(id);
}

/**
 * The id of a new cluster: 16 hex digits of SHA-256 over its voter ids and token (a
 * synchronous digest: the whole-node simulator drives startup, see util/sha256.ts).
 */
export function newClusterId(voters: Iterable<number>, token = ""): string {
  const ids = [...voters].sort((a, b) => a - b).join(",");
  return [...sha256(utf8(`tinykv-cluster v2|${ids}|${token}`)).slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The directory's identity, or undefined when it has none yet (v1 and v2 files). */
export function readIdentity(fs: FileSystem, dataDir: string): Identity | undefined {
  const path = `${dataDir}/IDENTITY`;
  if (fs.stat(path) === undefined) return undefined;
  const text = fromUtf8(fs.readFile(path));
  const version = /^tinykv-identity v(\d+)\n/.exec(text)?.[1];
  const cluster = /\ncluster (\S+)\n/.exec(text)?.[1];
  const node = /\nnode (\d+)\n/.exec(text)?.[1];
  if ((version !== "1" && version !== "2") || cluster === undefined || node === undefined) {
    throw new IdentityError(`${path} is not a TinyKV identity file (version ${version ?? "?"})`);
  }
  return {
    clusterId: cluster === "-" ? undefined : cluster,
    nodeId: Number(node),
    version: Number(version),
    regionsSplit: /\nregions split\n/.test(text),
    joined: /\njoined\n/.test(text),
  };
}

/** Writes the identity atomically (temporary file, fsync, rename, directory fsync). */
export async function writeIdentity(fs: FileSystem, dataDir: string, id: Identity): Promise<void> {
  const path = `${dataDir}/IDENTITY`;
  fs.mkdir(dataDir);
  const tmp = `${path}.tmp`;
  const f = fs.open(tmp, { create: true, truncate: true });
  const regions = id.regionsSplit === true ? "regions split\n" : "";
  const joined = id.joined === true ? "joined\n" : "";
  const head = `tinykv-identity v2\ncluster ${id.clusterId ?? "-"}\nnode ${id.nodeId}\n`;
  f.append(utf8(`${head}${regions}${joined}`));
  await f.sync();
  f.close();
  fs.rename(tmp, path);
  await fs.syncDir(dataDir);
}

/** Refuses a directory written for another node id, naming the flag to fix. */
export function checkNodeId(have: Identity, nodeId: number, dataDir: string): void {
  if (have.nodeId === nodeId) return;
  throw new IdentityError(
    `data directory ${dataDir} belongs to node ${have.nodeId}, not node ${nodeId}: ` +
      `fix --id (or --data-dir, to point at node ${nodeId}'s directory)`,
  );
}
