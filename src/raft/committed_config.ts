/**
 * The configuration a node's committed log leads to. At startup a node's
 * configuration is its state machine's (the snapshot's, plus the conf changes
 * applied before it stopped); committed conf changes after the applied index
 * are applied only once Raft replays them. A node added by such a change is
 * already a member, and must not be refused as removed (server/node_identity.ts).
 */
import { changeConfig, configFromConfState } from "./core/confchange/changer.ts";
import { decodeConfChange } from "./core/confchange/conf_change.ts";
import { type ConfState, type Entry, EntryType } from "./core/messages.ts";

/** Whether `id` is in the configuration after `entries` (committed, not yet applied) on `cs`. */
export function memberAfterEntries(cs: ConfState, entries: readonly Entry[], id: number): boolean {
  let config = configFromConfState(cs);
  for (const e of entries) {
    if (e.type !== EntryType.ConfChange) continue;
    const cc = decodeConfChange(e.data);
    if (cc === undefined) continue;
    const next = changeConfig(config, cc);
    if (next.ok) config = next.config;
  }
  return config.voters[0].has(id) || config.voters[1].has(id) || config.learners.has(id) ||
    config.learnersNext.has(id);
}
