/**
 * A brand-new node of a new cluster (not `--join`) starts from a Raft snapshot
 * at index 1 whose configuration is every voter in `--peers`, and applies it as
 * the empty state.
 */
import type { KvStateMachine } from "../../kv/state_machine.ts";
import type { LogStore } from "../../raft/log_store.ts";
import type { ResolvedNodeOptions } from "./options.ts";

export async function bootstrapIfNew(
  o: ResolvedNodeOptions,
  logStore: LogStore,
  kv: KvStateMachine,
): Promise<void> {
  const s = logStore.storage;
  if (s.snapshot().metadata.index === 0 && s.lastIndex() === 0 && !o.join) {
    const voters = [...o.peers.keys()].sort((a, b) => a - b);
    const confState = {
      voters,
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    await logStore.save({
      hardState: { term: 1, vote: 0, commit: 1 },
      entries: [],
      snapshot: { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) },
      mustSync: true,
    });
  }
  // The bootstrap snapshot (index 1) holds the empty state: apply it as an empty entry.
  if (kv.appliedIndex === 0 && s.snapshot().metadata.index === 1) {
    await kv.apply([{ index: 1, data: null }]);
  }
}
