/** Human-readable renderings of core types, for traces, tests and debugging. */
import { fromUtf8 } from "../../util/bytes.ts";
import { decodeConfChange, describeConfChange } from "./confchange/conf_change.ts";
import {
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  messageTypeName,
  type Snapshot,
} from "./messages.ts";
import { STATE_NAMES } from "./raft.ts";
import type { Ready } from "./ready.ts";

function printable(data: Uint8Array): string {
  const s = fromUtf8(data);
  return /^[\x20-\x7e]*$/.test(s) ? s : `<${data.length} bytes>`;
}

export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} EntryConfChange ${
      cc === undefined ? "<bad>" : describeConfChange(cc)
    }`;
  }
  return e.data.length === 0
    ? `${e.term}/${e.index} EntryNormal ""`
    : `${e.term}/${e.index} EntryNormal "${printable(e.data)}"`;
}

export function describeEntries(ents: readonly Entry[]): string {
  return ents.map(describeEntry).join(", ");
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSnapshot(s: Snapshot): string {
  const cs = s.metadata.confState;
  let out = `Index:${s.metadata.index} Term:${s.metadata.term} voters=(${cs.voters.join(" ")})`;
  if (cs.votersOutgoing.length > 0) out += `&&(${cs.votersOutgoing.join(" ")})`;
  if (cs.learners.length > 0) out += ` learners=(${cs.learners.join(" ")})`;
  return out;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} Msg${messageTypeName(m.type)} Term:${m.term}`;
  switch (m.type) {
    case MessageType.App:
      s += ` Log:${m.logTerm}/${m.index} Commit:${m.commit}`;
      if (m.entries.length > 0) s += ` Entries:[${describeEntries(m.entries)}]`;
      break;
    case MessageType.AppResp:
      s += m.reject
        ? ` Log:${m.logTerm}/${m.index} Rejected (Hint: ${m.rejectHint})`
        : ` Log:0/${m.index}`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` Log:${m.logTerm}/${m.index}${m.transfer ? " Transfer" : ""}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      if (m.reject) s += " Rejected";
      break;
    case MessageType.Heartbeat:
      s += ` Commit:${m.commit}`;
      if (m.context.length > 0) s += ` Context:${printable(m.context)}`;
      break;
    case MessageType.HeartbeatResp:
      if (m.context.length > 0) s += ` Context:${printable(m.context)}`;
      break;
    case MessageType.Snap:
      s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
      break;
    case MessageType.Prop:
      s += ` Entries:[${describeEntries(m.entries)}]`;
      break;
    case MessageType.ReadIndex:
      s += ` Context:${printable(m.context)}`;
      break;
    case MessageType.ReadIndexResp:
      s += ` Index:${m.index} Context:${printable(m.context)}`;
      break;
    case MessageType.TransferLeader:
      s += ` Transferee:${m.transferee}`;
      break;
    default:
      break;
  }
  return s;
}

/** Multi-line rendering of a Ready, indented by two spaces. */
export function describeReady(rd: Ready): string {
  const lines: string[] = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState !== undefined) {
    lines.push(`Lead:${rd.softState.lead} State:${STATE_NAMES[rd.softState.state]}`);
  }
  if (rd.hardState !== undefined) lines.push(`HardState ${describeHardState(rd.hardState)}`);
  if (rd.readStates.length > 0) {
    lines.push("ReadStates:");
    for (const r of rd.readStates) lines.push(`  Index:${r.index} Context:${printable(r.context)}`);
  }
  if (rd.entries.length > 0) {
    lines.push("Entries:");
    for (const e of rd.entries) lines.push(`  ${describeEntry(e)}`);
  }
  if (rd.snapshot !== undefined) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    lines.push("CommittedEntries:");
    for (const e of rd.committedEntries) lines.push(`  ${describeEntry(e)}`);
  }
  if (rd.messages.length > 0) {
    lines.push("Messages:");
    for (const m of rd.messages) lines.push(`  ${describeMessage(m)}`);
  }
  return lines.map((l) => `  ${l}`).join("\n");
}
