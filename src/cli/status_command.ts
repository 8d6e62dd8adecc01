/**
 * `tinykv status`: one row per member — id, address, role, term, commit,
 * applied, lag, health — each member asked for its own status over its
 * protobuf port (src/client/cluster_status.ts). The member list comes from
 * the first endpoint that answers, then a line on the regions (regions_command.ts). `--json`
 * prints the same rows as JSON, the regions as `regions`.
 */
import {
  type ClusterStatus,
  type ClusterSummary,
  type MemberReport,
  type MemberRow,
  StatusProbe,
  summarize,
} from "../client/cluster_status.ts";
import { credentialsOf, openAuthenticated } from "../client/client_auth.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import type { ClientCredentials } from "./credential_flags.ts";
import { errorMessage } from "../util/errors.ts";
import type { RegionEntry } from "../client/region_wire.ts";
import { regionsSummary, regionsSummaryLine } from "./regions_command.ts";
import { placementLine, type PlacementSummary } from "./node_command.ts";

/** How long one member may take to connect and answer (`--timeout`). */
const STATUS_TIMEOUT_MS = 2000;

async function firstAnswer(probe: StatusProbe, endpoints: readonly string[]) {
  const errors: string[] = [];
  for (const endpoint of endpoints) {
    try {
      return await probe.ask(endpoint);
    } catch (err) {
      errors.push(`${endpoint}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`no node answered (${errors.join("; ")})`);
}

export async function statusCommand(
  endpoints: readonly string[],
  json: boolean,
  platform: Platform,
  host: ProcessHost,
  login: ClientCredentials = {},
  options: {
    readonly timeoutMs?: number;
    /** The cluster's regions, for the summary line (left out when the node cannot say). */
    readonly regions?: () => Promise<RegionEntry[]>;
    /** The placement leader's summary (left out when no leader answers). */
    readonly placement?: () => Promise<PlacementSummary>;
  } = {},
): Promise<number> {
  const creds = credentialsOf(login);
  const { net, clock } = platform;
  const timeoutMs = options.timeoutMs ?? STATUS_TIMEOUT_MS;
  const probe = new StatusProbe(
    net,
    clock,
    timeoutMs,
    (address) => openAuthenticated(net, clock, address, creds, timeoutMs),
  );
  try {
    const seed: ClusterStatus = await firstAnswer(probe, endpoints);
    const reports = await probe.probe(seed.members, seed);
    const outside = notMemberLine(seed, reports);
    const regions = await options.regions?.().catch(() => undefined);
    const placement = await options.placement?.().catch(() => undefined);
    const summary = {
      ...summarize(reports),
      clusterId: seed.clusterId,
      ...(regions === undefined ? {} : { regions: regionsSummary(regions) }),
      ...(placement === undefined ? {} : { placement }),
    };
    if (outside !== undefined) {
      if (json) host.writeStdout(JSON.stringify({ ...summary, notMember: outside }) + "\n");
      host.writeStderr(`tinykv: ${outside}\n`);
      return 1;
    }
    const line = (regions === undefined ? "" : regionsSummaryLine(regions) + "\n") +
      (placement === undefined ? "" : placementLine(placement));
    host.writeStdout(json ? JSON.stringify(summary) + "\n" : statusTable(summary) + line);
    return 0;
  } finally {
    probe.close();
  }
}

const COLUMNS: readonly [string, (m: MemberRow) => string][] = [
  ["ID", (m) => String(m.id)],
  ["ADDRESS", (m) => m.address],
  ["ROLE", (m) => m.role ?? "-"],
  ["TERM", (m) => dash(m.term)],
  ["COMMIT", (m) => dash(m.commitIndex)],
  ["APPLIED", (m) => dash(m.appliedIndex)],
  ["LAG", (m) => dash(m.lag)],
  ["HEALTH", (m) => m.error === null ? m.health : `${m.health} (${m.error})`],
];

function dash(n: number | null): string {
  return n === null ? "-" : String(n);
}

/**
 * The node asked is not a member: its own configuration leaves it out (removed, or waiting
 * to join), or the leader's membership does not list it (a node that bootstrapped a
 * cluster of its own with the others' ids). Undefined when it is a member.
 */
function notMemberLine(seed: ClusterStatus, reports: readonly MemberReport[]): string | undefined {
  const leader = reports.find((r) => r.status?.role === "leader" && r.status.member)?.status;
  const listed = leader === undefined || leader.members.some((m) => m.id === seed.id);
  if (seed.member && listed) return undefined;
  const members = (leader ?? seed).members.map((m) => m.id).join(",") || "none";
  return `node ${seed.id} is not a member of cluster ${leader?.clusterId ?? seed.clusterId} ` +
    `(members ${members}); it answers, but is not part of the cluster's status`;
}

/** A header line, then aligned columns (the last one unpadded). */
export function statusTable(s: ClusterSummary & { clusterId?: string | null }): string {
  const reachable = s.members.filter((m) => m.reachable).length;
  const learners = s.members.filter((m) => m.learner).length;
  const head = `leader ${s.leader ?? "none"}, term ${s.term}, ${s.members.length} members` +
    (learners > 0 ? ` (${learners} learners)` : "") + `, ${reachable} reachable` +
    (s.clusterId ? `; cluster ${s.clusterId}` : "");
  const cells = [
    COLUMNS.map(([title]) => title),
    ...s.members.map((m) => COLUMNS.map(([, value]) => value(m))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const lines = cells.map((row) =>
    row.map((c, i) => i === row.length - 1 ? c : c.padEnd(widths[i])).join("  ")
  );
  return [head, "", ...lines].join("\n") + "\n";
}
