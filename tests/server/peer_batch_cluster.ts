/**
 * In-process multi-region nodes joined by real sockets: each a MultiRaftDriver
 * (over a MultiLogStore on a simulated file system) on a MultiRaftLoop with
 * the real clock, sending through a MultiPeerTransport and receiving on a
 * KvPort whose peer sink is a NodeBatchReceiver — the node's peer port as a
 * multi-region node will run it.
 */
import { getPlatform } from "../../src/platform/detect.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { MultiRaftDriver } from "../../src/raft/multi/driver.ts";
import { MultiRaftLoop } from "../../src/raft/multi/driver_loop.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import type { KvService } from "../../src/server/kv_service.ts";
import { NodeBatchReceiver } from "../../src/server/peer/batch_receiver.ts";
import {
  MultiPeerTransport,
  type MultiPeerTransportOptions,
} from "../../src/server/peer/multi_peer_transport.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { ListSm } from "../raft/multi_raft_cluster.ts";

const platform = getPlatform();
/** The port never serves client requests here: only peers connect. */
const NO_SERVICE = {} as unknown as KvService;
export const TICK_MS = 10;

export interface BatchClusterOptions {
  readonly nodes: number;
  readonly regions: number;
  readonly quiesce: boolean;
  readonly snapshotEntries?: number;
  readonly transport?: Partial<MultiPeerTransportOptions>;
}

export class BatchNode {
  port!: KvPort;
  driver!: MultiRaftDriver;
  loop!: MultiRaftLoop;
  transport!: MultiPeerTransport;
  receiver!: NodeBatchReceiver;
  readonly sms = new Map<number, ListSm>();
  /** Stopped by the test: not a leader to propose to. */
  down = false;
  constructor(readonly id: number) {}
}

export class BatchCluster {
  readonly nodes: BatchNode[] = [];
  private constructor(readonly o: BatchClusterOptions) {}

  static async start(o: BatchClusterOptions): Promise<BatchCluster> {
    const c = new BatchCluster(o);
    const voters = Array.from({ length: o.nodes }, (_, i) => i + 1);
    for (const id of voters) {
      const n = new BatchNode(id);
      n.receiver = new NodeBatchReceiver({
        selfId: id,
        deliver: (b) => {
          if (n.driver.receive(b)) n.loop.kick();
        },
      });
      await c.openPort(n, 0);
      c.nodes.push(n);
    }
    const addresses = new Map(c.nodes.map((n) => [n.id, `127.0.0.1:${n.port.port}`]));
    for (const n of c.nodes) {
      n.transport = new MultiPeerTransport({
        net: platform.net,
        clock: platform.clock,
        selfId: n.id,
        selfAddress: addresses.get(n.id),
        ...o.transport,
      });
      n.transport.setPeers(addresses);
      const log = await MultiLogStore.open(createSimWorld(n.id).fs, "multi", {
        preallocateBytes: 0,
      });
      n.driver = new MultiRaftDriver({
        nodeId: n.id,
        log,
        transport: n.transport,
        raft: { electionTicks: 10, heartbeatTicks: 2, preVote: true },
        quiesce: o.quiesce,
        snapshotEntries: o.snapshotEntries,
        peers: voters.filter((v) => v !== n.id),
        seed: n.id,
      });
      const ids = Array.from({ length: o.regions }, (_, i) => i + 1);
      for (const r of ids) n.sms.set(r, new ListSm());
      await n.driver.addRegions(ids.map((r) => ({ id: r, sm: n.sms.get(r) as ListSm, voters })));
      n.loop = new MultiRaftLoop(n.driver, platform.clock, TICK_MS);
    }
    for (const n of c.nodes) n.loop.start();
    return c;
  }

  /** (Re)opens node n's peer port (0: any free port). */
  async openPort(n: BatchNode, port: number): Promise<void> {
    n.port = await KvPort.start({
      net: platform.net,
      hostname: "127.0.0.1",
      port,
      service: NO_SERVICE,
      peers: n.receiver.sink(),
    });
  }

  node(id: number): BatchNode {
    return this.nodes[id - 1];
  }

  leaderOf(region: number): BatchNode | undefined {
    return this.nodes.find((n) => !n.down && n.driver.region(region)?.rawNode.isLeader);
  }

  /** Proposes `value` to region's leader; false when it has none yet. */
  propose(region: number, value: string): boolean {
    const l = this.leaderOf(region);
    if (l === undefined) return false;
    l.driver.propose(region, new TextEncoder().encode(value));
    l.loop.kick();
    return true;
  }

  /** Waits (polling every tick, at most `ms`) until `done` holds; throws saying `what`. */
  async until(done: () => boolean, what: string, ms = 5000): Promise<void> {
    let ok = done(); // called once per poll: `done` may act (propose)
    for (let waited = 0; waited < ms && !ok; waited += TICK_MS) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      ok = done();
    }
    for (const n of this.nodes) {
      if (n.loop.failure !== undefined) throw new Error(`node ${n.id}: ${n.loop.failure}`);
    }
    if (!ok) throw new Error(`${what}: not reached in ${ms} ms`);
  }

  async close(): Promise<void> {
    for (const n of this.nodes) {
      n.loop.stop();
      n.transport.close();
    }
    for (const n of this.nodes) await n.port.close();
  }
}
