/**
 * The environment behind the data-driven interaction tests: several RawNodes
 * with in-memory storage, a message queue the script delivers explicitly, and
 * a driver loop that follows the Ready contract (persist, send, apply, advance).
 */
import { createPrng } from "../../src/util/prng.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { ReadOnlyOption } from "../../src/raft/core/config.ts";
import { bootstrapStorage, MemoryStorage } from "../../src/raft/core/storage.ts";
import { RawNode } from "../../src/raft/core/raw_node.ts";
import type { Raft } from "../../src/raft/core/raft.ts";
import { STATE_NAMES } from "../../src/raft/core/raft.ts";
import {
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  decodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { EntryType, type Message } from "../../src/raft/core/messages.ts";
import {
  describeEntries,
  describeHardState,
  describeMessage,
  describeReady,
} from "../../src/raft/core/describe.ts";
import { describeConfig } from "../../src/raft/core/tracker/tracker.ts";
import type { Command } from "./datadriven.ts";

interface EnvNode {
  readonly id: number;
  readonly storage: MemoryStorage;
  rn: RawNode;
  readonly opts: NodeOpts;
  /** Data of applied normal entries, in order. */
  readonly applied: string[];
}

interface NodeOpts {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly lease: boolean;
  readonly maxInflight: number;
  readonly maxMsgBytes: number;
  readonly maxUncommitted: number;
}

const ELECTION = 10;
const HEARTBEAT = 1;

function ids(cmd: Command): number[] {
  return cmd.args.map((a) => Number(a)).filter((n) => Number.isInteger(n));
}

function kvNums(cmd: Command, key: string): number[] {
  return (cmd.kv.get(key) ?? []).map(Number);
}

function kvFlag(cmd: Command, key: string): boolean {
  return (cmd.kv.get(key) ?? [])[0] === "true";
}

function kvNum(cmd: Command, key: string, dflt: number): number {
  const v = (cmd.kv.get(key) ?? [])[0];
  return v === undefined ? dflt : Number(v);
}

export class InteractionEnv {
  readonly nodes = new Map<number, EnvNode>();
  queue: Message[] = [];
  /** Nodes cut off from everyone: messages to or from them are dropped on delivery. */
  readonly isolated = new Set<number>();
  #out: string[] = [];

  handle(cmd: Command): string {
    this.#out = [];
    const h = HANDLERS[cmd.name];
    if (h === undefined) throw new Error(`unknown command ${cmd.name}`);
    h(this, cmd);
    return this.#out.join("\n");
  }

  print(line: string): void {
    this.#out.push(line);
  }

  node(id: number): EnvNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  sortedIds(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  addNodes(cmd: Command): void {
    const count = Number(cmd.args[0] ?? "1");
    const voters = kvNums(cmd, "voters");
    const learners = kvNums(cmd, "learners");
    const index = kvNum(cmd, "index", 1);
    const opts: NodeOpts = {
      preVote: kvFlag(cmd, "prevote"),
      checkQuorum: kvFlag(cmd, "checkquorum") || kvFlag(cmd, "lease"),
      lease: kvFlag(cmd, "lease"),
      maxInflight: kvNum(cmd, "max-inflight", 256),
      maxMsgBytes: kvNum(cmd, "max-msg-bytes", 1 << 20),
      maxUncommitted: kvNum(cmd, "max-uncommitted-bytes", 1 << 30),
    };
    for (let i = 0; i < count; i++) {
      const id = this.nodes.size + 1;
      const cs = { voters, votersOutgoing: [], learners, learnersNext: [], autoLeave: false };
      // A node joining later starts empty and learns everything from a snapshot.
      const storage = voters.length + learners.length > 0
        ? bootstrapStorage(cs, index)
        : new MemoryStorage();
      const n: EnvNode = {
        id,
        storage,
        rn: this.#newRawNode(id, storage, opts, 0),
        opts,
        applied: [],
      };
      this.nodes.set(id, n);
      this.print(`INFO ${id} created: ${describeConfig(raftOf(n.rn).trk.config)}`);
    }
  }

  #newRawNode(id: number, storage: MemoryStorage, o: NodeOpts, applied: number): RawNode {
    return new RawNode({
      id,
      electionTicks: ELECTION,
      heartbeatTicks: HEARTBEAT,
      storage,
      prng: createPrng(id),
      applied,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      readOnlyOption: o.lease ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
      maxInflightMsgs: o.maxInflight,
      maxMsgBytes: o.maxMsgBytes,
      maxUncommittedBytes: o.maxUncommitted,
    });
  }

  /** Recreates a node from its storage, losing all volatile state. */
  restart(id: number): void {
    const n = this.node(id);
    n.rn = this.#newRawNode(id, n.storage, n.opts, n.storage.hardState.commit);
    this.queue = this.queue.filter((m) => m.to !== id);
    this.print(`INFO ${id} restarted at term ${raftOf(n.rn).term}`);
  }

  processReady(id: number): void {
    const n = this.node(id);
    const rd = n.rn.ready();
    this.print(`> ${id} handling Ready`);
    this.print(describeReady(rd));
    // 1. persist
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      // The state machine is replaced by the snapshot's image.
      const image = fromUtf8(rd.snapshot.data);
      n.applied.length = 0;
      if (image !== "") n.applied.push(...image.split(" "));
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    // 2. send
    for (const m of rd.messages) this.queue.push(m);
    // 3. apply
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.data);
        if (cc !== undefined) n.storage.confState = n.rn.applyConfChange(cc);
      } else if (e.data.length > 0) {
        n.applied.push(fromUtf8(e.data));
      }
    }
    // 4. advance
    n.rn.advance(rd);
  }

  deliver(id: number, drop: boolean): number {
    const mine = this.queue.filter((m) => m.to === id);
    if (mine.length === 0) return 0;
    this.queue = this.queue.filter((m) => m.to !== id);
    this.print(`> ${id} receiving messages`);
    for (const m of mine) {
      const cut = this.isolated.has(m.from) || this.isolated.has(m.to);
      if (drop || cut) {
        this.print(`  ${describeMessage(m)} (dropped)`);
        continue;
      }
      this.print(`  ${describeMessage(m)}`);
      this.node(id).rn.step(m);
    }
    return mine.length;
  }

  stabilize(which: readonly number[]): void {
    const targets = which.length > 0 ? which : this.sortedIds();
    for (let round = 0; round < 1000; round++) {
      let done = true;
      for (const id of targets) {
        if (this.node(id).rn.hasReady()) {
          this.processReady(id);
          done = false;
        }
      }
      for (const id of targets) {
        if (this.deliver(id, false) > 0) done = false;
      }
      if (done) return;
    }
    throw new Error("stabilize did not converge");
  }

  confChange(cmd: Command): void {
    const id = Number(cmd.args[0]);
    const changes: ConfChangeSingle[] = [];
    for (const a of cmd.args.slice(1)) {
      const type = a[0] === "v"
        ? ConfChangeType.AddNode
        : a[0] === "l"
        ? ConfChangeType.AddLearner
        : ConfChangeType.RemoveNode;
      changes.push({ type, nodeId: Number(a.slice(1)) });
    }
    const t = (cmd.kv.get("transition") ?? [])[0];
    const transition = t === "implicit"
      ? ConfChangeTransition.JointImplicit
      : t === "explicit"
      ? ConfChangeTransition.JointExplicit
      : ConfChangeTransition.Auto;
    const res = this.node(id).rn.proposeConfChange({ transition, changes });
    if (!res.ok) this.print(`refused: ${res.reason} (${this.node(id).rn.status().lastRefusal})`);
  }

  status(id: number): void {
    const r = raftOf(this.node(id).rn);
    for (const pid of r.trk.ids()) {
      const pr = r.trk.progress.get(pid);
      if (pr !== undefined) this.print(`${pid}: ${pr.describe()}`);
    }
  }
}

/** The core's inner state, for the traces these scripts compare (etcd-io/raft's format). */
function raftOf(rn: RawNode): Raft {
  return RawNode.innerRaftForTesting(rn);
}

type Handler = (env: InteractionEnv, cmd: Command) => void;

const HANDLERS: Record<string, Handler> = {
  "add-nodes": (env, cmd) => env.addNodes(cmd),
  "campaign": (env, cmd) => {
    for (const id of ids(cmd)) env.node(id).rn.campaign();
  },
  "stabilize": (env, cmd) => env.stabilize(ids(cmd)),
  "process-ready": (env, cmd) => {
    for (const id of ids(cmd)) if (env.node(id).rn.hasReady()) env.processReady(id);
  },
  "deliver-msgs": (env, cmd) => {
    for (const id of ids(cmd)) env.deliver(id, false);
  },
  "drop-msgs": (env, cmd) => {
    for (const id of ids(cmd)) env.deliver(id, true);
  },
  "isolate": (env, cmd) => {
    for (const id of ids(cmd)) env.isolated.add(id);
  },
  "heal": (env) => env.isolated.clear(),
  "tick-heartbeat": (env, cmd) => {
    for (const id of ids(cmd)) for (let i = 0; i < HEARTBEAT; i++) env.node(id).rn.tick();
  },
  "tick-election": (env, cmd) => {
    // 2x the base timeout always exceeds the randomized timeout.
    for (const id of ids(cmd)) for (let i = 0; i < 2 * ELECTION; i++) env.node(id).rn.tick();
  },
  "tick": (env, cmd) => {
    const n = kvNum(cmd, "count", 1);
    for (const id of ids(cmd)) for (let i = 0; i < n; i++) env.node(id).rn.tick();
  },
  "propose": (env, cmd) => {
    const res = env.node(Number(cmd.args[0])).rn.propose(utf8(cmd.args[1] ?? ""));
    if (!res.ok) env.print(`refused: ${res.reason}`);
  },
  "propose-conf-change": (env, cmd) => env.confChange(cmd),
  "read-index": (env, cmd) => {
    const res = env.node(Number(cmd.args[0])).rn.readIndex(utf8(cmd.args[1] ?? ""));
    if (!res.ok) env.print(`refused: ${res.reason}`);
  },
  "transfer-leader": (env, cmd) => {
    const from = kvNum(cmd, "from", 0);
    const res = env.node(from).rn.transferLeader(kvNum(cmd, "to", 0));
    if (!res.ok) env.print(`refused: ${res.reason}`);
  },
  "raft-log": (env, cmd) => {
    const r = raftOf(env.node(Number(cmd.args[0])).rn);
    const ents = r.log.allEntries();
    env.print(ents.length === 0 ? "log is empty" : describeEntries(ents).split(", ").join("\n"));
  },
  "raft-state": (env) => {
    for (const id of env.sortedIds()) {
      const r = raftOf(env.node(id).rn);
      const name = STATE_NAMES[r.state] ?? "?";
      const voter = r.trk.isVoter(id) ? "(Voter)" : r.isLearner ? "(Learner)" : "(Non-Voter)";
      env.print(`${id}: ${name} ${voter} Term:${r.term} Lead:${r.lead}`);
    }
  },
  "hard-state": (env, cmd) => {
    for (const id of ids(cmd)) {
      env.print(`${id}: ${describeHardState(raftOf(env.node(id).rn).hardState())}`);
    }
  },
  "status": (env, cmd) => env.status(Number(cmd.args[0])),
  "applied": (env, cmd) => {
    for (const id of ids(cmd)) env.print(`${id}: [${env.node(id).applied.join(" ")}]`);
  },
  "compact": (env, cmd) => {
    const n = env.node(Number(cmd.args[0]));
    const index = Number(cmd.args[1]);
    n.storage.createSnapshot(index, n.storage.confState, utf8(n.applied.join(" ")));
    n.storage.compact(index);
    env.print(`compacted ${n.id} to ${index}; first index ${n.storage.firstIndex()}`);
  },
  "restart": (env, cmd) => {
    for (const id of ids(cmd)) env.restart(id);
  },
};
