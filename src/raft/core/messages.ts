/**
 * Raft data types: log entries, hard state, snapshots and the messages that
 * peers exchange. Messages form a discriminated union keyed by a numeric
 * `MessageType`, so every `switch` over them is checked for exhaustiveness.
 *
 * Terms and indexes are plain safe integers (`number`).
 */

/**
 * Message kinds. Sent on the wire between peers (via proto/ in server/):
 * never renumber, never reuse a retired number.
 */
export const MessageType = {
  /** Local: start an election (or pre-election). */
  Hup: 0,
  /** Local: the leader should broadcast heartbeats. */
  Beat: 1,
  /** Local or forwarded: a client proposal. */
  Prop: 2,
  App: 3,
  AppResp: 4,
  Vote: 5,
  VoteResp: 6,
  Snap: 7,
  Heartbeat: 8,
  HeartbeatResp: 9,
  /** Local: the transport could not reach a peer. */
  Unreachable: 10,
  /** Local: result of sending a snapshot to a peer. */
  SnapStatus: 11,
  /** Local: the leader checks that a quorum is still active. */
  CheckQuorum: 12,
  /** Local or forwarded: move leadership to `from`. */
  TransferLeader: 13,
  TimeoutNow: 14,
  ReadIndex: 15,
  ReadIndexResp: 16,
  PreVote: 17,
  PreVoteResp: 18,
} as const;
export type MessageType = typeof MessageType[keyof typeof MessageType];

/** Entry kinds. Written to disk: never renumber, never reuse. */
export const EntryType = {
  Normal: 0,
  ConfChange: 1,
} as const;
export type EntryType = typeof EntryType[keyof typeof EntryType];

/**
 * One log entry. Entries handed out by the core or by storage are shared:
 * they must not be mutated (their `data` included).
 */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  /** Node voted for in `term`, 0 for none. */
  readonly vote: number;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });

/** Membership. `votersOutgoing` is non-empty only in a joint configuration. */
export interface ConfState {
  readonly voters: readonly number[];
  readonly votersOutgoing: readonly number[];
  readonly learners: readonly number[];
  /** Learners to add when leaving the joint config (voters demoted by the change). */
  readonly learnersNext: readonly number[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
});

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A state machine image covering every entry up to `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  metadata: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: new Uint8Array(0),
});

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

interface Base {
  readonly from: number;
  readonly to: number;
  /** Sender's term; 0 for local messages (and proposals, which carry no term). */
  readonly term: number;
}

export interface HupMsg extends Base {
  readonly type: typeof MessageType.Hup;
  /** Set by leadership transfer: skip pre-vote and override leases. */
  readonly transfer?: boolean;
}
export interface BeatMsg extends Base {
  readonly type: typeof MessageType.Beat;
}
export interface CheckQuorumMsg extends Base {
  readonly type: typeof MessageType.CheckQuorum;
}
export interface PropMsg extends Base {
  readonly type: typeof MessageType.Prop;
  readonly entries: readonly Entry[];
}
export interface AppMsg extends Base {
  readonly type: typeof MessageType.App;
  /** Index and term of the entry just before `entries`. */
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}
export interface AppRespMsg extends Base {
  readonly type: typeof MessageType.AppResp;
  /** Accepted: last index now matching. Rejected: the probed `index`. */
  readonly index: number;
  readonly reject: boolean;
  /** On reject: a guess of the follower's last index to retry from. */
  readonly rejectHint: number;
  /** On reject: the follower's term at `rejectHint` (fast backtracking). */
  readonly logTerm: number;
}
export interface VoteMsg extends Base {
  readonly type: typeof MessageType.Vote | typeof MessageType.PreVote;
  /** Candidate's last index and term. */
  readonly index: number;
  readonly logTerm: number;
  /** Campaign triggered by leadership transfer: voters ignore their lease. */
  readonly transfer: boolean;
}
export interface VoteRespMsg extends Base {
  readonly type: typeof MessageType.VoteResp | typeof MessageType.PreVoteResp;
  readonly reject: boolean;
}
export interface SnapMsg extends Base {
  readonly type: typeof MessageType.Snap;
  readonly snapshot: Snapshot;
}
export interface HeartbeatMsg extends Base {
  readonly type: typeof MessageType.Heartbeat;
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms, empty if none. */
  readonly context: Uint8Array;
  /** Leader's tick count at send time, echoed back to extend its lease. */
  readonly sentTick: number;
}
export interface HeartbeatRespMsg extends Base {
  readonly type: typeof MessageType.HeartbeatResp;
  readonly context: Uint8Array;
  readonly sentTick: number;
}
export interface UnreachableMsg extends Base {
  readonly type: typeof MessageType.Unreachable;
}
export interface SnapStatusMsg extends Base {
  readonly type: typeof MessageType.SnapStatus;
  readonly reject: boolean;
}
export interface TransferLeaderMsg extends Base {
  readonly type: typeof MessageType.TransferLeader;
  /** The node that should become leader. */
  readonly transferee: number;
}
export interface TimeoutNowMsg extends Base {
  readonly type: typeof MessageType.TimeoutNow;
}
export interface ReadIndexMsg extends Base {
  readonly type: typeof MessageType.ReadIndex;
  /** Caller's request id, unique among its pending reads. */
  readonly context: Uint8Array;
}
export interface ReadIndexRespMsg extends Base {
  readonly type: typeof MessageType.ReadIndexResp;
  readonly context: Uint8Array;
  readonly index: number;
}

export type Message =
  | HupMsg
  | BeatMsg
  | CheckQuorumMsg
  | PropMsg
  | AppMsg
  | AppRespMsg
  | VoteMsg
  | VoteRespMsg
  | SnapMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | UnreachableMsg
  | SnapStatusMsg
  | TransferLeaderMsg
  | TimeoutNowMsg
  | ReadIndexMsg
  | ReadIndexRespMsg;

/** A request for a vote (real or pre-vote): what a node that may not vote yet drops. */
export function isVoteRequest(m: Message): boolean {
  return m.type === MessageType.Vote || m.type === MessageType.PreVote;
}

/** Messages that never leave the node that created them. */
export function isLocalMessage(type: MessageType): boolean {
  return type === MessageType.Hup || type === MessageType.Beat ||
    type === MessageType.CheckQuorum || type === MessageType.Unreachable ||
    type === MessageType.SnapStatus;
}

/** Responses: a node accepts them even when it does not know the sender's role. */
export function isResponseMessage(type: MessageType): boolean {
  return type === MessageType.AppResp || type === MessageType.VoteResp ||
    type === MessageType.HeartbeatResp || type === MessageType.PreVoteResp ||
    type === MessageType.ReadIndexResp || type === MessageType.Unreachable;
}

const TYPE_NAMES: readonly string[] = Object.keys(MessageType);

export function messageTypeName(type: MessageType): string {
  return TYPE_NAMES[type] ?? `Unknown(${type})`;
}

/** Bytes an entry contributes to batching and the uncommitted budget. */
export function entryBytes(e: Entry): number {
  return e.data.length + 16;
}

/** Payload bytes only: what counts against the uncommitted budget. */
export function payloadBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length;
  return n;
}

/**
 * The longest prefix of `entries` whose total size is at most `maxBytes`;
 * always at least one entry so progress is possible.
 */
export function limitSize(entries: readonly Entry[], maxBytes: number): readonly Entry[] {
  if (entries.length === 0) return entries;
  let size = 0;
  let count = 0;
  for (const e of entries) {
    size += entryBytes(e);
    if (size > maxBytes && count > 0) return entries.slice(0, count);
    count++;
  }
  return entries;
}
