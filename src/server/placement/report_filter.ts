/**
 * Which region reports a heartbeat carries (docs/regions.md "Region reports on change"). Each
 * report is one command in the placement group's log, so a node reporting every region it leads
 * on every heartbeat made an idle cluster's placement log grow with its region count: at 10⁵
 * regions, 10⁴ proposals a second into region 0 (docs/scaling.md). A report now goes when what
 * placement acts on changed since the last one it took — the descriptor (range, epoch, replicas),
 * the leader's term, the replicas caught up, the size or write rate by more than a step of
 * about 9 % (`bucket`) — and at least every REFRESH_BEATS heartbeats otherwise, so a view that
 * lost one (a placement leader's restart from an older image) heals within that many intervals.
 *
 * A report counts as taken only once the heartbeat carrying it was answered; one that failed
 * goes again with the next.
 */
import type { RegionReportInput } from "./placement_rpc.ts";

/** A region unchanged is reported again after this many heartbeats. */
export const REFRESH_BEATS = 6;

/** A size or rate in steps of 2^(1/8) (about 9 %); 0 stays apart. */
export function bucket(x: number): number {
  return x <= 0 ? -1 : Math.floor(Math.log2(x) * 8);
}

/** What placement acts on in a report: two reports with one key need not both be sent. */
export function reportKey(r: RegionReportInput, term: number): string {
  const d = r.descriptor;
  const replicas = d.replicas.map((p) => `${p.nodeId}${p.role === "voter" ? "v" : "l"}`).join();
  return [
    d.epoch.version,
    d.epoch.confVer,
    replicas,
    term,
    r.caughtUp.join(),
    bucket(r.sizeBytes),
    bucket(r.writesPerSec),
  ].join("|");
}

export class ReportFilter {
  /** Per region: the key of the last report placement took, and the heartbeat it went in. */
  readonly #taken = new Map<number, { key: string; beat: number }>();
  #beat = 0;
  /** Reports left out as unchanged (status, tests). */
  skipped = 0;

  /** A heartbeat is being put together: its reports are judged against this beat. */
  nextBeat(): void {
    this.#beat++;
  }

  /** Whether the report of a region is due: it changed, or its last went long enough ago. */
  due(r: RegionReportInput, term: number): boolean {
    const held = this.#taken.get(r.descriptor.id);
    const due = held === undefined || held.key !== reportKey(r, term) ||
      this.#beat - held.beat >= REFRESH_BEATS;
    if (!due) this.skipped++;
    return due;
  }

  /** The heartbeat carrying `reports` (with `terms`, in order) was answered. */
  taken(reports: readonly RegionReportInput[], terms: readonly number[]): void {
    for (const [i, r] of reports.entries()) {
      this.#taken.set(r.descriptor.id, { key: reportKey(r, terms[i] ?? 0), beat: this.#beat });
    }
  }

  /** Forgets the regions not led here any more (a region led again reports at once). */
  keepOnly(led: ReadonlySet<number>): void {
    for (const id of this.#taken.keys()) if (!led.has(id)) this.#taken.delete(id);
  }
}
