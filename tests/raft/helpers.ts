/** Helpers for unit tests that drive `Raft` directly, without Ready handling. */
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { Raft } from "../../src/raft/core/raft.ts";
import { bootstrapStorage, MemoryStorage } from "../../src/raft/core/storage.ts";
import type { RaftConfig } from "../../src/raft/core/config.ts";
import {
  type AppRespMsg,
  type Entry,
  EntryType,
  type Message,
  MessageType,
} from "../../src/raft/core/messages.ts";

export const ELECTION = 10;
export const HEARTBEAT = 1;

/** A Raft node over a fresh cluster of `peers` (bootstrapped at index 1, term 1). */
export function newRaft(
  id: number,
  peers: readonly number[],
  extra: Partial<RaftConfig> = {},
  storage?: MemoryStorage,
): Raft {
  const cs = {
    voters: peers,
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
    autoLeave: false,
  };
  return new Raft({
    id,
    electionTicks: ELECTION,
    heartbeatTicks: HEARTBEAT,
    storage: storage ?? bootstrapStorage(cs, 1),
    prng: createPrng(id * 7919),
    ...extra,
  });
}

/** Storage holding `terms[i]` as the term of entry i+2 (after the bootstrap snapshot at 1). */
export function storageWithTerms(
  peers: readonly number[],
  terms: readonly number[],
): MemoryStorage {
  const cs = {
    voters: peers,
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
    autoLeave: false,
  };
  const s = bootstrapStorage(cs, 1);
  s.append(terms.map((term, i) => entry(term, i + 2)));
  const lastTerm = terms.length > 0 ? Math.max(...terms) : 1;
  s.setHardState({ term: lastTerm, vote: 0, commit: 1 });
  return s;
}

export function entry(term: number, index: number, data = ""): Entry {
  return { term, index, type: EntryType.Normal, data: utf8(data) };
}

/** Takes the node's outgoing messages. */
export function take(r: Raft): Message[] {
  const m = r.msgs;
  r.msgs = [];
  return m;
}

export function tickN(r: Raft, n: number): void {
  for (let i = 0; i < n; i++) r.tick();
}

export function propose(r: Raft, data: string): void {
  r.step({
    type: MessageType.Prop,
    from: r.id,
    to: r.id,
    term: 0,
    entries: [{ term: 0, index: 0, type: EntryType.Normal, data: utf8(data) }],
  });
}

export function hup(r: Raft): void {
  r.step({ type: MessageType.Hup, from: r.id, to: r.id, term: 0 });
}

/** Delivers messages between in-memory nodes until none are left. */
export class Net {
  readonly nodes = new Map<number, Raft>();
  /** Links ("from-to") whose messages are dropped. */
  readonly cut = new Set<string>();

  constructor(nodes: readonly Raft[]) {
    for (const n of nodes) this.nodes.set(n.id, n);
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}-${other}`);
      this.cut.add(`${other}-${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Steps `first` and then every message it causes. */
  send(first: Message): void {
    const queue: Message[] = [first];
    for (let steps = 0; queue.length > 0; steps++) {
      if (steps > 100_000) throw new Error("message storm");
      const m = queue.shift();
      if (m === undefined) break;
      const n = this.nodes.get(m.to);
      if (n === undefined || this.cut.has(`${m.from}-${m.to}`)) continue;
      n.step(m);
      queue.push(...take(n));
    }
  }

  /** Gets `id` elected (it must be able to win). */
  elect(id: number): void {
    this.send({ type: MessageType.Hup, from: id, to: id, term: 0 });
  }

  propose(id: number, data: string): void {
    this.send({
      type: MessageType.Prop,
      from: id,
      to: id,
      term: 0,
      entries: [{ term: 0, index: 0, type: EntryType.Normal, data: utf8(data) }],
    });
  }

  get(id: number): Raft {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }
}

/** An accepting append response. */
export function appResp(from: number, to: number, term: number, index: number): AppRespMsg {
  return {
    type: MessageType.AppResp,
    from,
    to,
    term,
    index,
    reject: false,
    rejectHint: 0,
    logTerm: 0,
  };
}
