/**
 * What the layers above Raft (kv/, server/) may use of it, in one place: the
 * driver and the types and enums of its requests, refusals and status. They
 * import message and conf change types from raft/core directly (messages.ts,
 * confchange/), and nothing else from the core (tests/raft/raft_api_test.ts).
 */
export { ReadOnlyOption } from "./core/config.ts";
export type { StepError } from "./core/state_type.ts";
export type { EntryPosition, ProposeResult, Refused, RequestResult } from "./core/raw_node.ts";
export type {
  PeerProgress,
  RaftCounts,
  ReplicationState,
  Role,
  Status as RaftStatus,
} from "./core/status.ts";
export type { ReadState, SoftState } from "./core/ready.ts";
export { type NodeHooks, RaftNode, type RaftNodeOptions, type StateMachine } from "./node.ts";
export type { RaftGroup } from "./group.ts";
