/**
 * What one seed draws before anything runs: the cluster size (unless given),
 * Raft timing, the network's delays, the workload's shape and the fault
 * rates. Drawing everything first from its own PRNG keeps the choices stable
 * when the run itself changes.
 */
import { createPrng } from "../util/prng.ts";
import { FAULT_KINDS, type FaultKind } from "./fault_kinds.ts";
import type { NemesisOptions } from "./nemesis.ts";
import type { SimTiming } from "./sim_node.ts";
import type { WorkloadOptions } from "./workload.ts";

export interface SeedOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly timing: SimTiming;
  readonly netDelayMaxMs: number;
  readonly workload: WorkloadOptions;
  readonly nemesis: NemesisOptions;
  /** Virtual ms of the fault phase. */
  readonly faultPhaseMs: number;
  /** Virtual ms the heal phase may take before the seed fails its liveness check. */
  readonly healBoundMs: number;
}

export interface SeedRequest {
  readonly seed: number;
  /** 3 or 5; drawn from the seed when undefined. */
  readonly nodes?: number;
  /** The fault kinds to inject (default: a random subset of all kinds, drawn per seed). */
  readonly faults?: readonly FaultKind[];
  /** Virtual ms of the fault phase (default 20 s). */
  readonly faultPhaseMs?: number;
  /** The nodes' `--region-split-bytes` (default 0: one region, never split). */
  readonly regionSplitBytes?: number;
  /** The nodes' `--region-merge-bytes` (default 0: never merge). */
  readonly regionMergeBytes?: number;
  /** The nodes' `--region-split-load` (default 0: never split by load). */
  readonly regionSplitLoad?: number;
}

export function drawSeedOptions(r: SeedRequest): SeedOptions {
  const prng = createPrng(r.seed ^ 0x5eed_0b75);
  const nodes = r.nodes ?? (prng.chance(0.6) ? 3 : 5);
  // Without a choice of kinds, every seed uses a random subset of all, so faults also meet
  // each other in new combinations; kinds asked for are all used.
  const kinds = r.faults ?? FAULT_KINDS.filter(() => prng.chance(0.7));
  const chosen = kinds.length > 0 || r.faults !== undefined ? kinds : FAULT_KINDS;
  const protoClients = 2 + prng.int(3);
  const respClients = 1 + prng.int(2);
  // Drawn from their own PRNG: the choices above stay what they were before watchers and
  // lease holders existed.
  const coord = createPrng(r.seed ^ 0x0c00_dd11);
  const watchers = 1 + coord.int(2);
  const leaseHolders = 1 + coord.int(3);
  // Half the seeds keep most engine values in blob files (a record's header alone passes 32).
  const store = createPrng(r.seed ^ 0x0b10_b5ee);
  const blobMinBytes = store.chance(0.5) ? 32 + store.int(64) : 0;
  return {
    seed: r.seed,
    nodes,
    timing: {
      tickMs: 20,
      heartbeatTicks: 3,
      electionTicks: 10 + prng.int(11),
      compactEntries: 100 + prng.int(400),
      // Half the seeds have slow and uneven disks: a follower's fsync slower than the
      // leader's and than a network hop is when an acknowledgement sent before its fsync
      // reaches the leader, and the client, before the data is durable on a majority.
      fsyncMaxMs: prng.chance(0.5) ? 3 : 25,
      regionSplitBytes: r.regionSplitBytes ?? 0,
      regionMergeBytes: r.regionMergeBytes ?? 0,
      regionSplitLoad: r.regionSplitLoad ?? 0,
      blobMinBytes,
    },
    netDelayMaxMs: 2 + prng.int(8),
    workload: {
      protoClients,
      respClients,
      watchers,
      leaseHolders,
      thinkMs: 20 + prng.int(80),
      deadlineMs: 3000,
    },
    nemesis: {
      kinds: chosen,
      meanGapMs: 400 + prng.int(1200),
      maxHoldMs: 500 + prng.int(2500),
      maxActive: 1 + prng.int(2),
      clientHosts: [
        ...clientHosts("c", protoClients),
        ...clientHosts("r", respClients),
        ...clientHosts("w", watchers),
        ...clientHosts("h", leaseHolders),
      ],
    },
    faultPhaseMs: r.faultPhaseMs ?? 20_000,
    healBoundMs: 60_000,
  };
}

/** Host names of the workload's clients (workload.ts names them so). */
function clientHosts(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

export function describeSeedOptions(o: SeedOptions): string {
  return `nodes=${o.nodes} election=${o.timing.electionTicks}x${o.timing.tickMs}ms ` +
    `compact=${o.timing.compactEntries} fsync<=${o.timing.fsyncMaxMs}ms ` +
    (o.timing.regionSplitBytes > 0 ? `split=${o.timing.regionSplitBytes} ` : "") +
    (o.timing.regionMergeBytes > 0 ? `merge=${o.timing.regionMergeBytes} ` : "") +
    (o.timing.regionSplitLoad > 0 ? `load=${o.timing.regionSplitLoad} ` : "") +
    (o.timing.blobMinBytes > 0 ? `blobs>=${o.timing.blobMinBytes} ` : "") +
    `clients=${o.workload.protoClients}+${o.workload.respClients}resp ` +
    `+${o.workload.watchers}watch+${o.workload.leaseHolders}lease ` +
    `faults=${o.nemesis.kinds.join(",")}`;
}
