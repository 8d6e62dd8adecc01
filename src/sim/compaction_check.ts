/**
 * History compaction, checked once the other checks are done with the whole
 * history (docs/simulation.md): a client compacts at the middle revision;
 * then every node must still hold exactly the history from there on, a scan
 * as of that revision must equal the replayed state, and a scan below it must
 * answer COMPACTED naming it as the oldest readable revision.
 */
import { TinyKvError } from "../client/errors.ts";
import type { TinyKvClient } from "../client/tinykv_client.ts";
import { fromUtf8 } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import { finalClient } from "./final_checks.ts";
import { readAllHistory } from "./rev_final.ts";
import type { RevHistory } from "./rev_model.ts";
import type { SimCluster } from "./sim_cluster.ts";

/** The history's changes at revisions in [from, to], one line each. */
function linesFrom(h: RevHistory, from: number, to: number): string[] {
  return h.revisions.filter((r) => r >= from && r <= to).flatMap((r) =>
    h.changesAt(r).map((c) => `${r} ${c.type} ${c.key}=${c.value}`)
  );
}

/**
 * The state of every key as of `revision`, one line each, in key order, for a
 * scan made between wall-clock `call` and `ret`: a read at a past revision
 * hides keys expired by its own time (docs/decisions/0009-key-expiry.md), so a
 * key expired by `call` is left out, and one whose expiry fell during the scan
 * is left out of both sides (`maybe`).
 */
function stateLines(h: RevHistory, revision: number, call: number, ret: number) {
  const maybe = new Set<string>();
  const lines = h.keys.flatMap((k) => {
    const s = h.stateAt(k, revision);
    if (s === undefined || (s.expireAtMs !== 0 && s.expireAtMs <= call)) return [];
    if (s.expireAtMs !== 0 && s.expireAtMs <= ret) {
      maybe.add(k);
      return [];
    }
    return [`${k}=${s.value} v${s.version} m${s.modRevision}`];
  });
  return { lines, maybe };
}

async function scanAt(api: TinyKvClient, revision: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 10_000; page++) {
    const p = await api.scan({ revision, cursor, limit: 1000 });
    for (const e of p.items) {
      out.push(`${fromUtf8(e.key)}=${fromUtf8(e.value)} v${e.version} m${e.modRevision}`);
    }
    cursor = p.nextCursor;
    if (cursor === undefined) break;
  }
  return out;
}

async function belowIsCompacted(api: TinyKvClient, at: number): Promise<string | undefined> {
  try {
    await api.scan({ revision: at - 1, limit: 1 });
    return `a scan at ${at - 1} after compact(${at}) answered`;
  } catch (err) {
    const ok = err instanceof TinyKvError && err.code === "COMPACTED" &&
      err.compactedRevision === at;
    return ok ? undefined : `a scan at ${at - 1} after compact(${at}) failed: ${errorMessage(err)}`;
  }
}

/** Runs last: it forgets half the history every other check reads. */
export async function compactionCheck(c: SimCluster, h: RevHistory): Promise<string[]> {
  const api = finalClient(c);
  try {
    return await compactAndCheck(c, api, h);
  } finally {
    api.close();
  }
}

async function compactAndCheck(
  c: SimCluster,
  api: TinyKvClient,
  h: RevHistory,
): Promise<string[]> {
  const at = Math.floor(h.lastRevision / 2);
  if (at < 2) return [];
  const problems: string[] = [];
  try {
    await api.compact(at);
    const call = c.clock.wallMs();
    const got = await scanAt(api, at);
    const want = stateLines(h, at, call, c.clock.wallMs());
    const seen = got.filter((l) => !want.maybe.has(l.slice(0, l.indexOf("="))));
    if (seen.join("\n") !== want.lines.join("\n")) problems.push(`scan at ${at} differs`);
    const below = await belowIsCompacted(api, at);
    if (below !== undefined) problems.push(below);
  } catch (err) {
    return [`compact(${at}): ${errorMessage(err)}`];
  }
  // Leases no longer kept alive may expire meanwhile: compare what was there before.
  const kept = linesFrom(h, at, h.lastRevision).join("\n");
  const running = c.nodes.filter((n) => n.server !== undefined);
  const applied = () => running.every((n) => n.server?.node.kv.compactedRevision === at);
  await c.waitFor(applied, 5000);
  for (const n of running) {
    const kv = n.server?.node.kv;
    if (kv === undefined) continue;
    if (kv.compactedRevision !== at) {
      problems.push(`${n.name} compacted at ${kv.compactedRevision}, not ${at}`);
      continue;
    }
    const after = linesFrom(await readAllHistory(kv), at, h.lastRevision).join("\n");
    if (after !== kept) problems.push(`${n.name}: history from ${at} changed by compaction`);
  }
  return problems.map((p) => `compaction: ${p}`);
}
