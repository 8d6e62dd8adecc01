/**
 * Raft core messages ⇄ `tinykv.v1.RaftMessage`. Decoding is the gateway for
 * bytes from peers: unknown types, local-only types and out-of-range numbers
 * are rejected with WireError (the connection is dropped), never handed to
 * the core. Snapshot data travels separately in chunks (peer_transport.ts).
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  EntryType as WireEntryType,
  type RaftMessage,
  RaftMessageSchema,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  isLocalMessage,
  type Message,
  MessageType,
  type Snapshot,
} from "../raft/core/messages.ts";
import { assertNever } from "../util/assert.ts";
import { u64ToNumber } from "../util/ids.ts";
import { WireError } from "./frame_codec.ts";

type Init = MessageInitShape<typeof RaftMessageSchema>;
const big = (n: number) => BigInt(n);
const num = (v: bigint, field: string) => u64ToNumber(v, field);

function entriesOut(entries: readonly Entry[]) {
  return entries.map((e) => ({
    term: big(e.term),
    index: big(e.index),
    type: e.type === EntryType.ConfChange
      ? WireEntryType.CONF_CHANGE
      : WireEntryType.NORMAL_UNSPECIFIED,
    data: e.data,
  }));
}

function confOut(c: ConfState) {
  return {
    voters: c.voters.map(big),
    learners: c.learners.map(big),
    votersOutgoing: c.votersOutgoing.map(big),
    learnersNext: c.learnersNext.map(big),
    autoLeave: c.autoLeave,
  };
}

/** Encodes a message; a Snap message's data is left out (sent in chunks). */
export function raftMessageToWire(m: Message): RaftMessage {
  const init: Init = { type: m.type, to: big(m.to), from: big(m.from), term: big(m.term) };
  switch (m.type) {
    case MessageType.Prop:
      init.entries = entriesOut(m.entries);
      break;
    case MessageType.App:
      Object.assign(init, { index: big(m.index), logTerm: big(m.logTerm), commit: big(m.commit) });
      init.entries = entriesOut(m.entries);
      break;
    case MessageType.AppResp:
      Object.assign(init, {
        index: big(m.index),
        reject: m.reject,
        rejectHint: big(m.rejectHint),
        logTerm: big(m.logTerm),
      });
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      Object.assign(init, { index: big(m.index), logTerm: big(m.logTerm), transfer: m.transfer });
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      init.reject = m.reject;
      break;
    case MessageType.Snap: {
      const md = m.snapshot.metadata;
      init.snapshot = {
        index: big(md.index),
        term: big(md.term),
        confState: confOut(md.confState),
      };
      init.snapshotBytes = big(m.snapshot.data.length);
      break;
    }
    case MessageType.Heartbeat:
      Object.assign(init, { commit: big(m.commit), context: m.context, sentTick: big(m.sentTick) });
      break;
    case MessageType.HeartbeatResp:
      Object.assign(init, { context: m.context, sentTick: big(m.sentTick) });
      break;
    case MessageType.TransferLeader:
      init.transferee = big(m.transferee);
      break;
    case MessageType.ReadIndex:
      init.context = m.context;
      break;
    case MessageType.ReadIndexResp:
      Object.assign(init, { context: m.context, index: big(m.index) });
      break;
    case MessageType.TimeoutNow:
      break;
    case MessageType.Hup:
    case MessageType.Beat:
    case MessageType.CheckQuorum:
    case MessageType.Unreachable:
    case MessageType.SnapStatus:
      throw new WireError(`local message type ${m.type} cannot be sent`);
    default:
      assertNever(m, "message");
  }
  return create(RaftMessageSchema, init);
}

function entriesIn(w: RaftMessage): Entry[] {
  return w.entries.map((e) => {
    if (e.type !== WireEntryType.NORMAL_UNSPECIFIED && e.type !== WireEntryType.CONF_CHANGE) {
      throw new WireError(`unknown entry type ${e.type}`);
    }
    return {
      term: num(e.term, "entry term"),
      index: num(e.index, "entry index"),
      type: e.type === WireEntryType.CONF_CHANGE ? EntryType.ConfChange : EntryType.Normal,
      data: e.data,
    };
  });
}

function confIn(w: RaftMessage): ConfState {
  const c = w.snapshot?.confState;
  const ids = (xs: bigint[] | undefined) => (xs ?? []).map((x) => num(x, "member id"));
  return {
    voters: ids(c?.voters),
    learners: ids(c?.learners),
    votersOutgoing: ids(c?.votersOutgoing),
    learnersNext: ids(c?.learnersNext),
    autoLeave: c?.autoLeave ?? false,
  };
}

/**
 * Decodes a message from peer `from` (the id its connection authenticated
 * as). A Snap message needs its reassembled `snapshotData`.
 */
export function raftMessageFromWire(
  w: RaftMessage,
  from: number,
  snapshotData?: Uint8Array,
): Message {
  const type = w.type;
  if (!Number.isInteger(type) || type < 0 || type > MessageType.PreVoteResp) {
    throw new WireError(`unknown Raft message type ${type}`);
  }
  const t = type as MessageType;
  if (isLocalMessage(t)) throw new WireError(`local Raft message type ${type} from a peer`);
  if (num(w.from, "from") !== from) throw new WireError("Raft message claims another sender");
  const base = { from, to: num(w.to, "to"), term: num(w.term, "term") };
  const index = num(w.index, "index"), logTerm = num(w.logTerm, "log term");
  switch (t) {
    case MessageType.Prop:
      return { ...base, type: t, entries: entriesIn(w) };
    case MessageType.App:
      return {
        ...base,
        type: t,
        index,
        logTerm,
        entries: entriesIn(w),
        commit: num(w.commit, "commit"),
      };
    case MessageType.AppResp:
      return {
        ...base,
        type: t,
        index,
        logTerm,
        reject: w.reject,
        rejectHint: num(w.rejectHint, "hint"),
      };
    case MessageType.Vote:
    case MessageType.PreVote:
      return { ...base, type: t, index, logTerm, transfer: w.transfer };
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      return { ...base, type: t, reject: w.reject };
    case MessageType.Snap:
      return { ...base, type: t, snapshot: snapshotIn(w, snapshotData) };
    case MessageType.Heartbeat:
      return {
        ...base,
        type: t,
        commit: num(w.commit, "commit"),
        context: w.context,
        sentTick: num(w.sentTick, "tick"),
      };
    case MessageType.HeartbeatResp:
      return { ...base, type: t, context: w.context, sentTick: num(w.sentTick, "tick") };
    case MessageType.TransferLeader:
      return { ...base, type: t, transferee: num(w.transferee, "transferee") };
    case MessageType.TimeoutNow:
      return { ...base, type: t };
    case MessageType.ReadIndex:
      return { ...base, type: t, context: w.context };
    case MessageType.ReadIndexResp:
      return { ...base, type: t, context: w.context, index };
    default:
      throw new WireError(`Raft message type ${type} is not accepted from peers`);
  }
}

function snapshotIn(w: RaftMessage, data: Uint8Array | undefined): Snapshot {
  if (w.snapshot === undefined || data === undefined) throw new WireError("snapshot without data");
  return {
    metadata: {
      index: num(w.snapshot.index, "snapshot index"),
      term: num(w.snapshot.term, "snapshot term"),
      confState: confIn(w),
    },
    data,
  };
}
