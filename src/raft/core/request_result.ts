/** What the core answers a request or a proposal (raw_node.ts). */
import type { StepError } from "./state_type.ts";

/** Outcome of a request: accepted (maybe forwarded) or refused with a reason. */
export type RequestResult = { readonly ok: true } | Refused;

/** A request the core did not accept, and why. */
export interface Refused {
  readonly ok: false;
  readonly reason: StepError;
}

/**
 * Outcome of a proposal: appended to this leader's log at (index, term) —
 * the entry that commits there, if any, is this one exactly when its term
 * matches — or forwarded to the leader (no position known here), or refused.
 */
export type ProposeResult =
  | ({ readonly ok: true; readonly forwarded: false } & EntryPosition)
  | { readonly ok: true; readonly forwarded: true }
  | Refused;

/** Where an entry is in the log. */
export interface EntryPosition {
  readonly index: number;
  readonly term: number;
}
