/**
 * A brand-new node of a new cluster (not `--join`, nor a directory `--join`
 * made, nor a term saved) starts region 1 from a Raft snapshot at index 1
 * whose configuration is every voter in `--peers`, and applies it as the
 * empty state. The placement group (region 0) starts
 * the same way on its voters, the first three ids of `--peers`
 * (placement_options.ts), in the same save.
 */
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { MIGRATED_REGION } from "../../raft/log_migration.ts";
import type { MultiLogStore } from "../../raft/multi_log_store.ts";
import { bootstrapRequest } from "../../raft/multi/round_io.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import { PLACEMENT_REGION, placementVoters } from "../placement/placement_options.ts";

export async function bootstrapIfNew(
  o: ResolvedNodeOptions,
  log: MultiLogStore,
  kv: KvStateMachine,
): Promise<void> {
  const view = log.group(MIGRATED_REGION);
  // A term already saved came from a cluster's leader: not a new cluster's node, whatever its
  // flags (a joiner restarted without `--join` before its first configuration arrived).
  const empty = view.snapshotMarker.index === 0 && view.lastIndex() === 0;
  if (empty && view.hardState.term === 0 && !o.join) {
    const voters = [...o.peers.keys()].sort((a, b) => a - b);
    const boot = new Map([[MIGRATED_REGION, bootstrapRequest(voters)]]);
    // A node rebuilding after losing its state must not vote in region 0 with an empty log (it
    // could elect a leader missing entries it had acknowledged): it gets region 0 back from its
    // leader's messages, and votes once caught up (placement_rejoin.ts).
    const placement = placementVoters(o.peers);
    if (placement.includes(o.id) && !o.rebuild) {
      boot.set(PLACEMENT_REGION, bootstrapRequest(placement));
    }
    await log.save(boot);
  }
  // The bootstrap snapshot (index 1) holds the empty state: apply it as an empty entry.
  if (kv.appliedIndex === 0 && log.group(MIGRATED_REGION).snapshotMarker.index === 1) {
    await kv.apply([{ index: 1, data: null }]);
  }
}
