/**
 * One region of a MultiRaftDriver seen as a RaftNode (`RaftGroup`, group.ts):
 * the surface the server node uses, so that it can run on either driver.
 * Requests go through the driver (which wakes a quiet region and collects
 * its Ready at the next round); what is shared by every region of the node
 * is the driver's: its failure and halt, a full disk, starting and stopping
 * the loop (driver_loop.ts) — stopping one region's handle stops them all.
 * As RaftNode's, requests first catch up on ticks missed during a stall.
 */
import type { NoSpaceError } from "../../util/errors.ts";
import type { ConfChange } from "../core/confchange/conf_change.ts";
import type { Message } from "../core/messages.ts";
import type { ProposeResult, RawNode, RequestResult } from "../core/raw_node.ts";
import type { RaftGroup } from "../group.ts";
import type { MultiRaftDriver } from "./driver.ts";
import type { RegionReplica } from "./region_replica.ts";

/** The answer to a request for a region removed from this node. */
const GONE = Object.freeze({ ok: false, reason: "not-member" } as const);

export class RegionNode implements RaftGroup {
  constructor(readonly driver: MultiRaftDriver, readonly replica: RegionReplica) {}

  get id(): number {
    return this.replica.id;
  }

  get rawNode(): RawNode {
    return this.replica.rawNode;
  }

  heardFrom(node: number, heardRecently: boolean): boolean {
    return this.replica.heardFrom(node, heardRecently);
  }

  get failure(): unknown {
    return this.driver.failure;
  }

  halt(reason: unknown): void {
    this.driver.halt(reason);
  }

  get diskFull(): NoSpaceError | undefined {
    return this.driver.diskFull;
  }

  get suppressVotes(): boolean {
    return this.replica.suppressVotes;
  }

  set suppressVotes(on: boolean) {
    this.replica.suppressVotes = on;
  }

  /** The last index applied here, conf changes included (RegionReplica.applied). */
  get applied(): number {
    return this.replica.applied;
  }

  get droppedMessages(): number {
    return this.replica.droppedMessages;
  }

  get messagesIn(): number {
    return this.replica.messagesIn;
  }

  /** Vote requests are dropped when stepped while `suppressVotes` holds (driver.ts). */
  receive(m: Message): boolean {
    const d = this.driver;
    return d.receive({ from: m.from, to: d.nodeId, messages: [{ region: this.id, message: m }] });
  }

  kick(): void {
    this.driver.markDirty(this.id);
    this.driver.loop?.kick();
  }

  start(): void {
    this.driver.loop?.start();
  }

  stop(): void {
    this.driver.loop?.stop();
  }

  propose(data: Uint8Array): ProposeResult {
    this.driver.loop?.catchUp(); // missed ticks first (lease reads)
    return this.driver.propose(this.id, data) ?? GONE;
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    this.driver.loop?.catchUp(); // missed ticks first (lease reads)
    return this.driver.proposeConfChange(this.id, cc) ?? GONE;
  }

  readIndex(context: Uint8Array): RequestResult {
    this.driver.loop?.catchUp(); // missed ticks first (lease reads)
    return this.driver.readIndex(this.id, context) ?? GONE;
  }

  transferLeader(transferee: number): RequestResult {
    return this.driver.transferLeader(this.id, transferee) ?? GONE;
  }

  compactNow(): Promise<number> {
    const done = this.driver.compactNow(this.id);
    this.kick();
    return done;
  }
}
