/**
 * Opens the tables of the current version in the background after the database opens,
 * so that the first reads after a restart do not each pay a table open (footer, index
 * and filter read, checked and decoded: 50–100 µs for a 2 MiB table). Runs only with a
 * clock (a server; the deterministic tests without one are unchanged), in steps of at most
 * PRELOAD_STEP_MS or PRELOAD_STEP_TABLES between timer yields, deepest level first (where
 * most reads end), and stops at TABLE_PRELOAD_MAX tables, before the table cache's memory
 * bound would make it drop what it opened, or when the database closes.
 */
import { TABLE_PRELOAD_MAX } from "../limits_ops.ts";
import type { DbState } from "./db_state.ts";
import type { FileMeta } from "./version/version_edit.ts";

const PRELOAD_STEP_MS = 2;
const PRELOAD_STEP_TABLES = 16;

/** The tables to open, deepest level first; each is looked up again in the current version. */
function preloadOrder(s: DbState): FileMeta[] {
  const out: FileMeta[] = [];
  const levels = s.vs.current.levels;
  for (let l = levels.length - 1; l >= 0 && out.length < TABLE_PRELOAD_MAX; l--) {
    for (const f of levels[l]) {
      if (out.length >= TABLE_PRELOAD_MAX) break;
      out.push(f);
    }
  }
  return out;
}

/** Starts the preload; returns a promise that settles when it stops (never rejects). */
export function preloadTables(s: DbState): Promise<number> {
  const clock = s.options.clock;
  if (clock === undefined) return Promise.resolve(0);
  const todo = preloadOrder(s);
  let next = 0, opened = 0;
  return new Promise((resolve) => {
    const step = (): void => {
      const started = clock.nowMs();
      const live = liveNumbers(s);
      for (let n = 0; n < PRELOAD_STEP_TABLES; n++) {
        if (s.closed || next >= todo.length || !roomFor(s)) return resolve(opened);
        const f = todo[next++];
        if (!live.has(f.number) || s.tables.has(f.number)) continue;
        try {
          s.tables.get(f.number, f.size);
          opened++;
        } catch {
          // A damaged table is reported by the read that needs it, not here.
        }
        if (clock.nowMs() - started >= PRELOAD_STEP_MS) break;
      }
      clock.setTimeout(step, 0);
    };
    clock.setTimeout(step, 0);
  });
}

/** Room for another table without the cache dropping one (1/8 of the bound kept spare). */
function roomFor(s: DbState): boolean {
  const t = s.tables;
  return t.residentBytes < t.maxResidentBytes - t.maxResidentBytes / 8;
}

/** The tables of the current version now (a compaction may have replaced some since). */
function liveNumbers(s: DbState): Set<number> {
  const live = new Set<number>();
  for (const files of s.vs.current.levels) for (const f of files) live.add(f.number);
  return live;
}
