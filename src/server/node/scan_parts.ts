/**
 * The parts of a scan on a node holding some regions (stitched_scan.ts): from the range's first
 * key on, a run of the node's own regions is one local part, and each stretch no local region
 * holds is cut at the edges of the regions placement reports there (remote_regions.ts, the route
 * cache), one remote part per region. A local part is read by the node's own scan; a remote part
 * is sent, routed with its region's id and epoch, to that region's leader (or a voter), as a
 * scan of exactly that part.
 */
import { ErrorCode, ReadConsistency } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "../../kv/key_state.ts";
import type { KvScanPage, KvScanRequest } from "../../kv/kv_scan.ts";
import { NODE_ROUTES_CACHED_MAX } from "../../limits_ops.ts";
import { compareEnd } from "../../region/descriptor.ts";
import type { KeySpan } from "../../region/region_catalog.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import type { HostedRegion } from "./region_host.ts";
import type { RemoteRegions } from "./remote_regions.ts";
import { type ScanPart, type ScanParts, stitchedScan } from "./stitched_scan.ts";
import type { RegionHost } from "./region_host.ts";
import type { KeyValue } from "../../gen/tinykv/v1/tinykv_pb.ts";

export interface NodeScanPartsDeps {
  /** The node's regions, in key order. */
  readonly regions: () => readonly HostedRegion[];
  readonly remote: RemoteRegions;
  /** The node's own scan of a part its regions hold. */
  readonly local: (request: KvScanRequest) => Promise<KvScanPage>;
  readonly consistency: Consistency;
  readonly timeoutMs: number;
}

/** The nearer of two range ends (empty: the keyspace's end). */
function nearer(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return compareBytes(a, b) <= 0 ? a : b;
}

function hexOf(key: Uint8Array): string {
  return [...key.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function unavailable(why: string): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, `a scan across regions: ${why}; retry`);
}

export function wireConsistency(c: Consistency): ReadConsistency {
  if (c === "serializable") return ReadConsistency.SERIALIZABLE;
  if (c === "lease") return ReadConsistency.LEASE;
  return ReadConsistency.LINEARIZABLE;
}

function stateOf(kv: KeyValue): KeyState {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: Number(kv.createRevision),
    modRevision: Number(kv.modRevision),
    version: Number(kv.version),
    lease: Number(kv.lease),
    expireAtMs: Number(kv.expireAtMs),
  };
}

/** The last start or end of a local region strictly inside `span`, else the span's start. */
function lastEdge(regions: readonly HostedRegion[], span: KeySpan): Uint8Array {
  let last = span.start;
  for (const r of regions) {
    for (const edge of [r.kv.descriptor.start, r.kv.descriptor.end]) {
      const inside = compareBytes(edge, last) > 0 && compareEnd(span.end, edge) > 0;
      if (edge.length > 0 && inside) last = edge;
    }
  }
  return last;
}

export class NodeScanParts implements ScanParts {
  constructor(readonly d: NodeScanPartsDeps) {}

  /**
   * Forward, the part at the span's start; reverse, the parts from the last local region edge
   * inside the span to its end (not every region of a long range: each one not cached costs a
   * placement request).
   */
  async plan(span: KeySpan, reverse: boolean): Promise<ScanPart[]> {
    const regions = this.d.regions();
    const parts: ScanPart[] = [];
    let at = reverse ? lastEdge(regions, span) : span.start;
    for (let i = 0; i < NODE_ROUTES_CACHED_MAX + regions.length; i++) {
      const end = await this.#partAt(regions, at, span.end, parts);
      if (!reverse || end.length === 0 || compareEnd(span.end, end) <= 0) return parts;
      at = end;
    }
    throw unavailable(`its range has more than ${NODE_ROUTES_CACHED_MAX} parts`);
  }

  /** Adds the part starting at `at` (ending by `end`) to `parts`; returns where it ends. */
  async #partAt(
    regions: readonly HostedRegion[],
    at: Uint8Array,
    end: Uint8Array,
    parts: ScanPart[],
  ): Promise<Uint8Array> {
    let i = regions.findIndex((r) =>
      compareBytes(r.kv.descriptor.start, at) <= 0 &&
      compareEnd(r.kv.descriptor.end, at) > 0
    );
    if (i >= 0) {
      // A run of local regions, each starting where the one before ends, is one part.
      let upto = regions[i].kv.descriptor.end;
      while (
        upto.length > 0 && compareBytes(regions[i + 1]?.kv.descriptor.start ?? at, upto) === 0
      ) {
        upto = regions[++i].kv.descriptor.end;
      }
      const partEnd = nearer(upto, end);
      parts.push({ span: { start: at, end: partEnd }, local: true });
      return partEnd;
    }
    const region = await this.d.remote.locate(at);
    if (region === undefined) throw unavailable(`placement knows no region for key 0x${hexOf(at)}`);
    // A local region starting inside the remote one (the reports differ in age) is read here.
    const nextLocal = regions.find((r) => compareBytes(r.kv.descriptor.start, at) > 0);
    const partEnd = nearer(
      nearer(region.end, end),
      nextLocal?.kv.descriptor.start ?? new Uint8Array(0),
    );
    if (partEnd.length > 0 && compareBytes(partEnd, at) <= 0) {
      throw unavailable(`placement's region ${region.id} does not hold key 0x${hexOf(at)}`);
    }
    parts.push({ span: { start: at, end: partEnd }, local: false });
    return partEnd;
  }

  async read(part: ScanPart, request: KvScanRequest): Promise<KvScanPage> {
    if (part.local) return await this.d.local(request);
    const value = {
      start: request.start,
      end: request.end,
      limit: request.limit,
      reverse: request.reverse,
      revision: BigInt(request.revision ?? 0),
      consistency: wireConsistency(this.d.consistency),
    };
    const answer = await this.d.remote.send({ case: "scan", value }, [part.span], {
      timeoutMs: this.d.timeoutMs,
      part: true,
    });
    if (answer.body.case !== "scan") {
      throw unavailable(`a part's scan was answered ${answer.body.case}`);
    }
    const s = answer.body.value;
    const items = s.items.map(stateOf);
    const nextCursor = s.nextCursor.length > 0 ? s.nextCursor : undefined;
    return { items, nextCursor, revision: Number(s.revision) };
  }
}

/** A scan of `request` stitched from the node's regions' parts and the others' (NodeReads.scan). */
export function scanAcross(
  host: RegionHost,
  remote: RemoteRegions,
  local: (request: KvScanRequest) => Promise<KvScanPage>,
  consistency: Consistency,
  request: KvScanRequest,
): Promise<KvScanPage> {
  const regions = () => host.all();
  const timeoutMs = remote.d.requestTimeoutMs;
  return stitchedScan(
    new NodeScanParts({ regions, remote, local, consistency, timeoutMs }),
    request,
  );
}
