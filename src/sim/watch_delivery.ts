/**
 * The watch check (docs/simulation.md): what a watcher was delivered, across
 * every reconnection of its client library's watch, must equal the committed
 * changes in its range from its start revision, in order, with no gap and no
 * repeat, up to the revision it reports having delivered everything through.
 */
import type { RevChange, RevHistory, TextRange } from "./rev_model.ts";
import { inTextRange } from "./rev_model.ts";

export interface WatchRecord {
  /** e.g. "w1#2": watcher w1's second watch. */
  readonly name: string;
  readonly range: TextRange;
  /** The first revision asked for. */
  readonly from: number;
  /** Every change delivered, in delivery order. */
  readonly delivered: readonly RevChange[];
  /** Everything up to this revision has been delivered (the watch's next revision - 1). */
  readonly through: number;
  /** Problems seen while it ran: an update going backwards, an error that ended it. */
  readonly problems: readonly string[];
}

const show = (c: RevChange | undefined) =>
  c === undefined
    ? "nothing"
    : `${c.type} ${c.key}${c.type === "put" ? `=${c.value}` : ""}@${c.revision}`;

const same = (a: RevChange, b: RevChange) =>
  a.revision === b.revision && a.type === b.type && a.key === b.key && a.value === b.value;

/** The committed changes a watch of `range` from `from` must deliver, through `through`. */
export function expectedChanges(
  h: RevHistory,
  range: TextRange,
  from: number,
  through: number,
): RevChange[] {
  const out: RevChange[] = [];
  for (const r of h.revisions) {
    if (r < from || r > through) continue;
    for (const c of h.changesAt(r)) if (inTextRange(range, c.key)) out.push(c);
  }
  return out;
}

/** Why `w` did not get exactly its range's changes, or undefined when it did. */
export function checkWatch(w: WatchRecord, h: RevHistory): string | undefined {
  if (w.problems.length > 0) return `watch ${w.name}: ${w.problems.join("; ")}`;
  const want = expectedChanges(h, w.range, w.from, w.through);
  const got = w.delivered;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const g = got[i], e = want[i];
    if (g !== undefined && e !== undefined && same(g, e)) continue;
    const at = `watch ${w.name} from ${w.from} through ${w.through}, change ${i + 1}`;
    if (g !== undefined && got.slice(0, i).some((p) => same(p, g))) {
      return `${at}: ${show(g)} delivered again`;
    }
    if (e !== undefined && (g === undefined || g.revision > e.revision)) {
      return `${at}: ${show(e)} missed (got ${show(g)} instead)`;
    }
    return `${at}: got ${show(g)}, expected ${show(e)}`;
  }
  return undefined;
}
