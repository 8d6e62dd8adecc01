/**
 * What a node knows of the regions it holds, as its ports need it: to check the route a
 * request was sent with and to answer `Regions` (docs/regions.md#routing). The node of today
 * runs one Raft group, region 1 over the whole keyspace, and implements this over that group
 * (src/server/node/node_region_catalog.ts); the multi-region node implements it over the
 * descriptors its regions' Raft groups have applied, which are the truth (decision 0014 §1).
 */
import { compareBytes, prefixEnd } from "../util/bytes.ts";
import { compareEnd, type RegionDescriptor } from "./descriptor.ts";

const EMPTY = new Uint8Array(0);

/** A region as one node reports it: its descriptor, leader and size. */
export interface RegionReport {
  readonly descriptor: RegionDescriptor;
  /** The region's leader as this node knows it; 0 when none is known. */
  readonly leaderId: number;
  /** Estimates of the engine bytes and keys in the region's range. */
  readonly approximateBytes: number;
  readonly approximateKeys: number;
  /** This node's applied index of the region's Raft group. */
  readonly appliedIndex: number;
  /** Writes a second its leader routed to it lately (region_load.ts; 0 or absent: not counted). */
  readonly writesPerSecond?: number;
}

/** Where a node listens and its zone label ("" when it has none). */
export interface NodeLabel {
  readonly address: string;
  readonly zone: string;
}

export interface RegionCatalog {
  /** The answering node's id (a routed write to a region it does not lead is refused). */
  readonly selfId: number;
  /** The region holding `key`, if this node holds it. */
  regionFor(key: Uint8Array): RegionDescriptor | undefined;
  /** The regions overlapping `[start, end)` (empty end: unbounded) it knows, in key order. */
  regionsOverlapping(start: Uint8Array, end: Uint8Array): RegionDescriptor[];
  descriptor(id: number): RegionDescriptor | undefined;
  /** The region's leader as this node knows it, 0 when none (cheap: every routed write asks). */
  leaderOf(id: number): number;
  /** The region's leader, size and applied index; undefined for a region this node lacks. */
  report(id: number): RegionReport | undefined;
  /** A replica's node: address and zone, when known. */
  node(id: number): NodeLabel | undefined;
  /**
   * On a node: every region hosted with its voters known, in key order, replicas left out of
   * their configuration included (`regionsOverlapping` skips those; heartbeats list them).
   */
  hosted?(): RegionDescriptor[];
  /**
   * On a node: whether the regions `regionsOverlapping` lists tile the whole keyspace, found
   * without making the list (asked on every RESP GET run).
   */
  holdsWhole?(): boolean;
}

/**
 * Whether the regions `held` picks out of `items` (undefined: skipped), in key order, tile the
 * whole keyspace: the first starts at the empty key, each starts where the one before ended, one
 * is unbounded. Walks `items` once and builds nothing (a node asks on every RESP GET run).
 */
export function tilesKeyspace<T>(
  items: readonly T[],
  held: (item: T) => RegionDescriptor | undefined,
): boolean {
  let at: Uint8Array = NO_KEY;
  for (const item of items) {
    const d = held(item);
    if (d === undefined) continue;
    if (compareBytes(d.start, at) !== 0) return false;
    if (d.end.length === 0) return true;
    at = d.end;
  }
  return false;
}

const NO_KEY = new Uint8Array(0);

/** Keys `[start, end)`; an empty end is the end of the keyspace. */
export interface KeySpan {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

/** True when every key of `span` lies in the region. */
export function spanWithin(r: RegionDescriptor, span: KeySpan): boolean {
  if (compareBytes(span.start, r.start) < 0) return false;
  if (r.end.length === 0) return true;
  return span.end.length > 0 && compareBytes(span.end, r.end) <= 0;
}

/** The span of one key: `[key, key + "\0")`. */
export function keySpan(key: Uint8Array): KeySpan {
  const end = new Uint8Array(key.length + 1);
  end.set(key);
  return { start: key, end };
}

/** `span` clipped to the region; undefined when they share no key. */
export function clipSpan(r: RegionDescriptor, span: KeySpan): KeySpan | undefined {
  const start = compareBytes(span.start, r.start) >= 0 ? span.start : r.start;
  let end = span.end;
  if (r.end.length > 0 && (end.length === 0 || compareBytes(r.end, end) < 0)) end = r.end;
  if (compareEnd(end, start) <= 0) return undefined;
  return { start, end };
}

/** A scan's keys: a prefix's range narrowed by start and end (empty: no bound). */
export function scanSpanOf(prefix: Uint8Array, start: Uint8Array, end: Uint8Array): KeySpan {
  let lower = prefix;
  let upper = prefixEnd(prefix) ?? EMPTY;
  if (compareBytes(start, lower) > 0) lower = start;
  if (end.length > 0 && (upper.length === 0 || compareBytes(end, upper) < 0)) upper = end;
  return { start: lower, end: upper };
}
