/**
 * At startup, before the ports open: the data directory's identity (identity.ts) and
 * whether the cluster has this node (membership_check.ts). Refusals throw MembershipError
 * or IdentityError with one line naming what to fix; a joining node that is not a member
 * yet waits, logged, and records its cluster's id once a member tells it.
 */
import { KV_REGION } from "./region_driver.ts";
import type { Platform } from "../../platform/types.ts";
import {
  askPeers,
  judgePeers,
  notMember,
  type PeerAnswer,
  type SelfView,
} from "../membership/membership_check.ts";
import type { ServerConfig } from "../server.ts";
import { checkNodeId, newClusterId, readIdentity, writeIdentity } from "./identity.ts";
import type { NodeService } from "./node_service.ts";
import { memberAfterEntries } from "../../raft/committed_config.ts";
import { peerHelloOf } from "./leader_forwarder.ts";
import { type RegionSetting, resolveRegionSetting } from "./region_setting.ts";

export class MembershipError extends Error {
  override name = "MembershipError";
}

/** How often a joining node looks for its cluster id and for being added. */
const JOIN_WATCH_MS = 1000;

/** Startup probes of a new joining node that no peer answered, before it takes the default. */
const JOIN_PROBE_ATTEMPTS = 10;

export interface StartupIdentity {
  readonly self: SelfView;
  readonly hadIdentity: boolean;
  /** Set when this node waits to be added (--join): the line to log. */
  readonly waiting: string | undefined;
  /** Whether it splits regions, and at what sizes (region_setting.ts). */
  readonly regions: RegionSetting;
  /** The directory was created by `--join` (identity.ts): the node never bootstraps a cluster. */
  readonly joined: boolean;
}

/** Reads (or creates) the identity and asks the peers; throws when the node must not start. */
export async function establishIdentity(
  platform: Platform,
  config: ServerConfig,
): Promise<StartupIdentity> {
  const { fs } = platform;
  const have = readIdentity(fs, config.dataDir);
  if (have !== undefined) checkNodeId(have, config.id, config.dataDir);
  const join = config.join === true;
  const ours = have !== undefined
    ? have.clusterId
    : join
    ? undefined
    : newClusterId(config.peers.keys(), config.clusterToken);
  const self: SelfView = {
    id: config.id,
    clusterId: ours,
    dataDir: config.dataDir,
    fresh: have === undefined,
    join,
    address: config.peers.get(config.id) ?? "",
  };
  // A new node joining with no flag runs its regions the way its cluster does: worth a wait.
  const patient = join && have === undefined && config.regionSplitBytes === undefined;
  const answers = await startupAnswers(platform, config, patient);
  // A directory `--join` made is judged as joining while the peers do not list it (restarted
  // without the flag before `member add`); checkOwnMembership refuses it once it was a member.
  const verdict = judgePeers({ ...self, join: join || have?.joined === true }, answers);
  if (!verdict.ok) throw new MembershipError(verdict.message);
  const clusterId = ours ?? verdict.adopt;
  const regions = resolveRegionSetting({
    splitFlag: config.regionSplitBytes,
    mergeFlag: config.regionMergeBytes,
    splitDefault: config.regionSplitDefault,
    marked: have?.regionsSplit === true,
    fresh: have === undefined,
    peerModes: answers.map((a) => a.status.regionMode),
  });
  const marks = regions.splits && have?.regionsSplit !== true;
  const joined = have === undefined ? join : have.joined === true;
  if (have === undefined || have.clusterId !== clusterId || have.version !== 2 || marks) {
    await writeIdentity(fs, config.dataDir, {
      clusterId,
      nodeId: config.id,
      regionsSplit: regions.splits,
      joined,
    });
  }
  return {
    self: { ...self, clusterId },
    hadIdentity: have !== undefined,
    waiting: verdict.waiting,
    regions,
    joined,
  };
}

/**
 * The other peers' answers at startup. `patient` (a new node joining, no `--region-split-bytes`):
 * asked again while none answers, up to JOIN_PROBE_ATTEMPTS times a second apart, since without
 * an answer the node can only take the default region setting, which a one-region cluster then
 * refuses at the Hello (region_setting.ts). A founding node does not wait: its peers may be new
 * too.
 */
async function startupAnswers(
  platform: Platform,
  config: ServerConfig,
  patient: boolean,
): Promise<PeerAnswer[]> {
  const ask = () =>
    askPeers(platform.net, platform.clock, config.peers, config.id, peerHelloOf(config));
  let answers = await ask();
  for (let i = 1; patient && answers.length === 0 && i < JOIN_PROBE_ATTEMPTS; i++) {
    await new Promise<void>((r) => platform.clock.setTimeout(r, JOIN_WATCH_MS));
    answers = await ask();
  }
  return answers;
}

/**
 * After the node opened its state: a node its own configuration leaves out was removed
 * (or is a joiner). Without --join that is a refusal; with it, a logged wait.
 */
export function checkOwnMembership(node: NodeService, s: StartupIdentity): string | undefined {
  const status = node.status();
  // Before it re-applies its log, Raft's configuration is its last compaction's, which can
  // predate this node's own addition (it caught up from an older snapshot); the
  // configuration it last applied, kept in its log, is the one to judge by.
  if (status.member !== false || node.memberAtOpen || addedByCommittedLog(node)) return s.waiting;
  // A directory `--join` made, restarted without the flag before its first configuration
  // arrived, is still joining; once it had one, leaving it out means it was removed.
  const joining = s.self.join || (s.joined && status.members.length === 0);
  const v = notMember(
    { ...s.self, join: joining },
    s.self.clusterId ?? "(not known yet)",
    status.members.map((m) => m.id),
  );
  if (!v.ok) throw new MembershipError(v.message);
  return s.waiting ?? v.waiting;
}

/**
 * Whether a committed conf change the state machine has not applied yet adds this node: one
 * that crashed after it was added, before its applied index passed the change, is a member.
 */
function addedByCommittedLog(node: NodeService): boolean {
  const raft = node.node.rawNode.status();
  const log = node.logStore.group(KV_REGION).storage;
  const from = Math.max(node.kv.appliedIndex + 1, log.firstIndex());
  const to = Math.min(raft.commit, log.lastIndex());
  const pending = to >= from ? log.entries(from, to + 1, Number.MAX_SAFE_INTEGER) : [];
  return memberAfterEntries(raft.confState, pending, node.o.id);
}

/**
 * While this node waits to be added or lacks its cluster id: logs when it becomes a member,
 * and records the id the first member that answers reports.
 */
export function watchJoin(
  platform: Platform,
  config: ServerConfig,
  node: NodeService,
  waiting: boolean,
): { stop(): void } {
  let timer: ReturnType<Platform["clock"]["setTimeout"]> | undefined;
  let stopped = false;
  let wait = waiting;
  const check = async () => {
    if (wait && node.status().member !== false) {
      wait = false;
      const text = `node ${config.id} is now a member of cluster ${node.clusterId ?? "?"}`;
      node.o.logger.info("membership.joined", { text });
    }
    if (node.clusterId === undefined) {
      const peers = new Map([...config.peers, ...node.addresses.all()]);
      const answers = await askPeers(
        platform.net,
        platform.clock,
        peers,
        config.id,
        peerHelloOf(config),
      );
      const found = answers.find((a) => a.status.clusterId !== null && a.status.member);
      if (found !== undefined && !stopped) {
        node.clusterId = found.status.clusterId ?? undefined;
        await writeIdentity(platform.fs, config.dataDir, {
          clusterId: node.clusterId,
          nodeId: config.id,
          regionsSplit: node.o.regionsSplit,
          joined: readIdentity(platform.fs, config.dataDir)?.joined,
        });
        const text = `node ${config.id} recorded cluster id ${node.clusterId}`;
        node.o.logger.info("membership.cluster_id", { text });
      }
    }
  };
  // Checks again a second after each check ends, whatever it met (a peer down, a full disk).
  const schedule = () => {
    timer = undefined;
    if (stopped || !(wait || node.clusterId === undefined)) return;
    timer = platform.clock.setTimeout(() => {
      timer = undefined;
      void check().catch(() => {}).finally(schedule);
    }, JOIN_WATCH_MS);
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) platform.clock.clearTimeout(timer);
    },
  };
}
