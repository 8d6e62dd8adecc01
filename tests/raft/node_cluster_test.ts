/**
 * Three RaftNode drivers running on their own timers (`start()`/`kick()`, as
 * the server runs them) over a SimNetwork, with SimClock time: a leader is
 * elected and proposals commit on every node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng } from "../../src/util/prng.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../src/platform/sim/sim_file_system.ts";
import { SimNetwork } from "../../src/platform/sim/sim_network.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { RaftNode } from "../../src/raft/node.ts";
import { type Entry, EntryType, type Message } from "../../src/raft/core/messages.ts";

/** Lets pending promise callbacks (fsync completions) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

test("node cluster: timers drive election and replication to every node", async () => {
  const clock = new SimClock();
  const prng = createPrng(99);
  const net = new SimNetwork<Message>(clock, prng.fork(), { delayMinMs: 1, delayMaxMs: 5 });
  const voters = [1, 2, 3];
  const cs = { voters, votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
  const nodes: RaftNode[] = [];
  const applied = new Map<number, string[]>();
  for (const id of voters) {
    const store = await LogStore.open(new SimFileSystem(prng.fork(), clock), "raft");
    await store.save({
      hardState: { term: 1, vote: 0, commit: 1 },
      entries: [],
      snapshot: { metadata: { index: 1, term: 1, confState: cs }, data: new Uint8Array(0) },
      mustSync: true,
    });
    const log: string[] = [];
    applied.set(id, log);
    const node: RaftNode = new RaftNode({
      raft: { id, electionTicks: 10, heartbeatTicks: 2, prng: prng.fork(), preVote: true },
      logStore: store,
      transport: { send: (msgs) => msgs.forEach((m) => net.send(String(m.from), String(m.to), m)) },
      stateMachine: {
        apply: (ents: readonly Entry[]) => {
          for (const e of ents) {
            if (e.type === EntryType.Normal && e.data.length > 0) {
              log.push(new TextDecoder().decode(e.data));
            }
          }
        },
        restore: () => {},
      },
      clock,
      tickMs: 10,
    });
    net.attach(String(id), (_from, m) => {
      if (node.receive(m)) node.kick();
    });
    nodes.push(node);
  }
  for (const n of nodes) n.start();
  let leader: RaftNode | undefined;
  for (let ms = 0; ms < 5000 && leader === undefined; ms += 5) {
    clock.advance(5);
    await settle();
    leader = nodes.find((n) => n.rawNode.isLeader);
  }
  assert.ok(leader !== undefined, "a leader is elected");
  for (let i = 0; i < 20; i++) assert.ok(leader.propose(utf8(`p${i}`)).ok);
  leader.kick();
  for (let ms = 0; ms < 2000; ms += 5) {
    clock.advance(5);
    await settle();
    if ([...applied.values()].every((l) => l.length === 20)) break;
  }
  for (const n of nodes) n.stop();
  for (const [id, log] of applied) {
    assert.deepEqual(log, Array.from({ length: 20 }, (_, i) => `p${i}`), `node ${id}`);
  }
  for (const n of nodes) assert.equal(n.failure, undefined);
});
