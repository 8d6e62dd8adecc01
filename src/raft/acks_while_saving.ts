/**
 * A leader's save overlapped with its followers' acknowledgements (Raft thesis
 * §10.2.1; docs/raft.md, the driver). While the leader's own Ready is being
 * written and fsynced, the driver keeps stepping what its followers answer;
 * when that moves the commit index, the appends announcing it leave at once.
 * Safe because the core counts the leader's own log only once `advance` says
 * it is durable (`selfAckAfterPersist`): an entry commits mid-save only on the
 * followers' disks.
 *
 * Only acknowledgements of the leader's current term are stepped mid-save:
 * anything else (a vote, a newer term, an append from another leader) could
 * change what is being persisted, so it waits for the save as before.
 */
import { type Message, MessageType } from "./core/messages.ts";
import type { RawNode } from "./core/raw_node.ts";
import { LEADER_MESSAGES } from "./persisted_state.ts";

export class AcksWhileSaving {
  #wake: (() => void) | undefined = undefined;

  /** A peer message arrived: a waiting save loop looks at the inbox. */
  notify(): void {
    const wake = this.#wake;
    if (wake === undefined) return;
    this.#wake = undefined;
    wake();
  }

  /**
   * Resolves as `saving` does; until then runs `step` after every `notify`.
   * A rejected save propagates to the caller like a plain `await`.
   */
  async wait<T>(saving: Promise<T>, step: () => void): Promise<T> {
    let done = false;
    const settled = saving.finally(() => {
      done = true;
      this.notify();
    });
    settled.catch(() => {}); // handled by the final await, even when `step` throws first
    while (!done) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      if (!done) step();
    }
    return await settled;
  }

  /**
   * Steps the current term's acknowledgements in `inbox` into a leader; returns
   * the messages left for after the save. When they moved the commit index, what
   * they produced leaves at once (if every message is one a leader may send
   * before its own fsync): the followers learn of the commit a fsync earlier.
   * Otherwise it waits for the next Ready, batched as before (a send per ack
   * would cost a socket write per ack for little gain).
   */
  stepAcks(rn: RawNode, inbox: Message[], send: (msgs: readonly Message[]) => void): Message[] {
    if (!rn.isLeader || inbox.length === 0) return inbox;
    const term = rn.term;
    const commit = rn.commitIndex;
    const rest: Message[] = [];
    for (const m of inbox) {
      if (rn.isLeader && m.term === term && isAck(m)) rn.step(m);
      else rest.push(m);
    }
    if (rn.commitIndex === commit) return rest;
    const out = rn.takeMessages((msgs) =>
      rn.isLeader && rn.term === term && msgs.every((m) => LEADER_MESSAGES.has(m.type))
    );
    if (out.length > 0) send(out);
    return rest;
  }
}

function isAck(m: Message): boolean {
  return m.type === MessageType.AppResp || m.type === MessageType.HeartbeatResp;
}
