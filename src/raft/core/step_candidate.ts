/** Message handling while (pre-)candidate. */
import { type Message, MessageType } from "./messages.ts";
import type { Raft } from "./raft.ts";
import { StateType, type StepError } from "./state_type.ts";
import { VoteResult } from "./quorum/majority.ts";
import { bcastAppend } from "./replication.ts";
import { campaign, winElection } from "./election.ts";
import { handleAppend, handleHeartbeat, handleSnapshot } from "./step_follower.ts";

export function stepCandidate(r: Raft, m: Message): StepError | undefined {
  // A pre-candidate counts only pre-vote responses; a candidate only votes. Stale
  // responses of the other kind (from an earlier phase) are ignored.
  const myResp = r.state === StateType.PreCandidate
    ? MessageType.PreVoteResp
    : MessageType.VoteResp;
  switch (m.type) {
    case MessageType.Prop:
    case MessageType.ReadIndex:
    case MessageType.TransferLeader:
      return "no-leader";
    case MessageType.App:
      r.becomeFollower(m.term, m.from); // a leader exists in our term (§5.2)
      handleAppend(r, m);
      return undefined;
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return undefined;
    case MessageType.Snap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return undefined;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp: {
      if (m.type !== myResp) return undefined;
      const res = r.poll(m.from, !m.reject);
      if (res === VoteResult.Won) {
        if (r.state === StateType.PreCandidate) {
          campaign(r, false, false);
        } else {
          winElection(r);
          bcastAppend(r);
        }
      } else if (res === VoteResult.Lost) {
        r.becomeFollower(r.term, 0);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
