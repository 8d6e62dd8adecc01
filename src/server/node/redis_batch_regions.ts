/**
 * A RESP write batch on a node whose keyspace is split (region_router.ts), grouped by region: each
 * region's requests go into one `redisBatch` entry of that region, applied as one region applies a
 * batch, where each request used to be a log entry of its own (its own timestamp, apply and
 * history revision; bench/RESULTS.md, session 28). Grouped only when every request names keys
 * of one region this node holds; otherwise the requests run one by one as before. A batch writes
 * no key twice (resp_write_batcher.ts), so requests in different groups share no key and their
 * order across groups is free, as it was between their separate entries.
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import {
  type ClientResponseInit,
  eachRedisOutcome,
  errorOf,
  redisBatchOutcome,
  type RedisRequestInit,
} from "./leader_forwarder.ts";
import { RegionChangedError } from "./proposals.ts";
import { type CommandSpans, redisRequestSpans } from "./command_spans.ts";
import { regionOfSpans } from "./command_regions.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";

export interface RegionGroup {
  readonly region: HostedRegion;
  /** Positions of its requests in the batch, in batch order. */
  readonly at: number[];
  /** Each of those requests' key spans (for the split by load's counts). */
  readonly spans: CommandSpans[];
  /** The keys its requests name (for the order of runs across regions). */
  readonly keys: Uint8Array[];
}

/** The batch's requests by region, or undefined when one of them is not of one hosted region. */
export function groupByRegion(
  requests: readonly RedisRequestInit[],
  host: RegionHost,
): RegionGroup[] | undefined {
  const groups = new Map<number, RegionGroup>();
  for (let i = 0; i < requests.length; i++) {
    const spans = redisRequestSpans(requests[i]);
    if (spans.kind !== "keys" || spans.leased) return undefined;
    let region: HostedRegion;
    try {
      region = regionOfSpans(host, spans.spans);
    } catch {
      return undefined; // in several regions, or one held elsewhere
    }
    let g = groups.get(region.id);
    if (g === undefined) groups.set(region.id, g = { region, at: [], spans: [], keys: [] });
    g.at.push(i);
    g.spans.push(spans);
    for (const s of spans.spans) g.keys.push(s.key);
  }
  return [...groups.values()];
}

/** What gatherRegionGroups needs of a group. */
interface Group {
  readonly region: { readonly id: number };
  readonly at: readonly number[];
}

/**
 * Runs each group as one `redisBatch` command (`run`) and gathers the outcomes in batch order. A
 * group its region refused as changed (a split or merge meanwhile) runs request by request
 * (`one`, which routes each again); a group that failed otherwise gives each request its error.
 */
export async function gatherRegionGroups<G extends Group>(
  requests: readonly RedisRequestInit[],
  groups: readonly G[],
  run: (g: G, command: CommandInit) => Promise<CommandOutcome>,
  one: (command: CommandInit) => Promise<CommandOutcome>,
): Promise<CommandOutcome> {
  const outcomes: ClientResponseInit[] = new Array(requests.length);
  await Promise.all(groups.map(async (g) => {
    const part = g.at.map((i) => requests[i]);
    let got: ClientResponseInit[];
    try {
      const outcome = await run(g, { body: { case: "redisBatch", value: { requests: part } } });
      if (outcome.case !== "redisBatch" || outcome.value.outcomes.length !== part.length) {
        throw new Error(
          `region ${g.region.id} answered a batch of ${part.length} with ${outcome.case}`,
        );
      }
      got = outcome.value.outcomes;
    } catch (err) {
      if (err instanceof RegionChangedError) got = await eachRedisOutcome(part, one);
      else if (err instanceof ServiceError) got = part.map(() => ({ error: errorOf(err) }));
      else throw err;
    }
    g.at.forEach((i, k) => outcomes[i] = got[k]);
  }));
  return redisBatchOutcome(outcomes);
}
