/**
 * What a heartbeat carries for operators, and what its answer carries back (docs/regions.md
 * "Operators executed"), in the placement service's own encoding (placement_rpc.ts):
 *
 *   held (in the heartbeat):  count · (region id · conf version)*     the regions a node hosts
 *   terms (in the heartbeat): count · term*     the Raft term of each report, in report order
 *   catching up (in the heartbeat): count · region id*   replicas here that may not vote yet
 *   answer:                   count · order*  ·  count · (region id · conf version)*
 *                             · count · term* · region 0
 *                             steps to run; replicas to drop, with the conf version that left
 *                             the node out; the term of each order's report (0: none); region
 *                             0's configuration (placement_group_wire.ts)
 *   order:                    region id · version · conf version · step kind u8 · fields
 *
 * Each is appended after the older fields, so a message without them (an older node's) reads
 * as none. Decoding reads untrusted bytes: it throws DecodeError or InvalidArgumentError only.
 */
import {
  PLACEMENT_HELD_PER_HEARTBEAT_MAX,
  PLACEMENT_REPORTS_PER_HEARTBEAT_MAX,
} from "../../limits_ops.ts";
import type { Step } from "../../placement/operator.ts";
import type { StepOrder } from "../../placement/operator_step.ts";
import { checkCount, readCount } from "../../placement/placement_codec.ts";
import type { ByteReader, ByteWriter } from "../../util/coding.ts";
import { DecodeError } from "../../util/coding.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import type { GroupAnswer } from "./placement_group.ts";
import { checkGroupAnswer, readGroupAnswer, writeGroupAnswer } from "./placement_group_wire.ts";

/** A region a node hosts, at the conf version it applied. */
export interface HeldRegion {
  readonly regionId: number;
  readonly confVer: number;
}

/** The operator part of a heartbeat's answer. */
export interface HeartbeatOrders {
  /** Steps for regions the node leads (at most one per region). */
  readonly orders: readonly StepOrder[];
  /**
   * Regions the node hosts that no longer list it (removed while it was away), each with the
   * conf version of the configuration without it: the node drops its replica only while its own
   * is older.
   */
  readonly tombstones: readonly HeldRegion[];
  /** Region 0's configuration (a node holds region 0 only while it lists the node). */
  readonly group?: GroupAnswer;
}

/** Written to the wire: never renumber, never reuse. */
const STEP_KINDS = ["add-learner", "promote", "remove", "transfer-leader"] as const;

export function checkHeld(held: readonly HeldRegion[]): void {
  if (held.length > PLACEMENT_HELD_PER_HEARTBEAT_MAX) {
    const max = PLACEMENT_HELD_PER_HEARTBEAT_MAX;
    throw new InvalidArgumentError(`heartbeat lists ${held.length} held regions (max ${max})`);
  }
  for (const h of held) {
    checkCount(h.regionId, "region id", 1);
    checkCount(h.confVer, "conf version");
  }
}

export function writeHeld(w: ByteWriter, held: readonly HeldRegion[]): void {
  w.varint(held.length);
  for (const h of held) w.varint(h.regionId).varint(h.confVer);
}

/** The held regions; undefined when the message ends before them (an older sender's). */
export function readHeld(r: ByteReader): HeldRegion[] | undefined {
  if (r.remaining === 0) return undefined;
  const n = readCount(r, PLACEMENT_HELD_PER_HEARTBEAT_MAX, "held regions");
  const out: HeldRegion[] = [];
  for (let i = 0; i < n; i++) out.push({ regionId: r.varint(), confVer: r.varint() });
  return out;
}

function checkStep(s: Step): void {
  if (s.kind === "promote") {
    checkCount(s.promote, "promoted node");
    checkCount(s.demote, "demoted node");
    if (s.promote === 0 && s.demote === 0) throw new InvalidArgumentError("an empty promote step");
  } else checkCount(s.kind === "transfer-leader" ? s.to : s.node, "step node", 1);
}

export function checkOrders(a: HeartbeatOrders): void {
  const max = PLACEMENT_REPORTS_PER_HEARTBEAT_MAX;
  if (a.orders.length > max || a.tombstones.length > PLACEMENT_HELD_PER_HEARTBEAT_MAX) {
    throw new InvalidArgumentError(`too many orders or tombstones in one answer`);
  }
  for (const o of a.orders) {
    checkCount(o.regionId, "region id", 1);
    checkCount(o.epoch.version, "version");
    checkCount(o.epoch.confVer, "conf version");
    checkStep(o.step);
    if (o.term !== undefined) checkCount(o.term, "term");
  }
  checkHeld(a.tombstones);
  if (a.group !== undefined) checkGroupAnswer(a.group);
}

/** A list of terms, one per report or order: as many as `expected` (0 each: none). */
export function checkTerms(terms: readonly number[], expected: number): void {
  if (terms.length !== expected) {
    throw new InvalidArgumentError(`${terms.length} terms for ${expected} reports or orders`);
  }
  for (const t of terms) checkCount(t, "term");
}

export function writeTerms(w: ByteWriter, terms: readonly number[]): void {
  w.varint(terms.length);
  for (const t of terms) w.varint(t);
}

/** Region ids: those whose replica on the sender may not vote yet (it is catching up). */
export function writeRegionIds(w: ByteWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

/** The region ids; undefined when the message ends before them (an older sender's). */
export function readRegionIds(r: ByteReader): number[] | undefined {
  if (r.remaining === 0) return undefined;
  const n = readCount(r, PLACEMENT_HELD_PER_HEARTBEAT_MAX, "regions catching up");
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.varint());
  return out;
}

/** The terms; undefined when the message ends before them (an older sender's). */
export function readTerms(r: ByteReader): number[] | undefined {
  if (r.remaining === 0) return undefined;
  const n = readCount(r, PLACEMENT_REPORTS_PER_HEARTBEAT_MAX, "terms");
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.varint());
  return out;
}

export function writeOrders(w: ByteWriter, a: HeartbeatOrders): void {
  w.varint(a.orders.length);
  for (const o of a.orders) {
    const s = o.step;
    w.varint(o.regionId).varint(o.epoch.version).varint(o.epoch.confVer);
    w.u8(STEP_KINDS.indexOf(s.kind));
    if (s.kind === "promote") w.varint(s.promote).varint(s.demote);
    else w.varint(s.kind === "transfer-leader" ? s.to : s.node);
  }
  writeHeld(w, a.tombstones);
  if (a.group !== undefined || a.orders.some((o) => (o.term ?? 0) > 0)) {
    writeTerms(w, a.orders.map((o) => o.term ?? 0));
  }
  if (a.group !== undefined) writeGroupAnswer(w, a.group);
}

function readStep(r: ByteReader): Step {
  const at = r.offset;
  const kind = STEP_KINDS[r.u8()];
  switch (kind) {
    case "add-learner":
    case "remove":
      return { kind, node: r.varint() };
    case "promote":
      return { kind, promote: r.varint(), demote: r.varint() };
    case "transfer-leader":
      return { kind, to: r.varint() };
    case undefined:
      throw new DecodeError("unknown operator step kind", at);
  }
}

/** The orders; undefined when the answer ends before them (an older leader's, or no heartbeat). */
export function readOrders(r: ByteReader): HeartbeatOrders | undefined {
  if (r.remaining === 0) return undefined;
  const n = readCount(r, PLACEMENT_REPORTS_PER_HEARTBEAT_MAX, "operator orders");
  const orders: StepOrder[] = [];
  for (let i = 0; i < n; i++) {
    const regionId = r.varint();
    const epoch = { version: r.varint(), confVer: r.varint() };
    orders.push({ regionId, epoch, step: readStep(r) });
  }
  const tombstones = readHeld(r) ?? [];
  const terms = readTerms(r);
  if (terms !== undefined) checkTerms(terms, orders.length);
  const named = orders.map((o, i) => (terms?.[i] ?? 0) > 0 ? { ...o, term: terms?.[i] } : o);
  const group = readGroupAnswer(r);
  const a = group === undefined
    ? { orders: named, tombstones }
    : { orders: named, tombstones, group };
  checkOrders(a);
  return a;
}
