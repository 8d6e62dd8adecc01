/**
 * A readable reason for a key the linearizability search rejected. The search
 * only says "no order explains these operations"; the two most common reasons
 * can be named directly: a read of a value no write wrote, and a stale read
 * (the value it returned had been overwritten by a write that completed
 * before the read began). Values are unique per write in the workload, so the
 * write a read saw is known.
 */
import type { Op } from "./linearizability.ts";

const writesValue = (o: Op) => o.kind === "put" || (o.kind === "cas" && o.applied !== false);
const overwrites = (o: Op) =>
  o.kind === "put" || o.kind === "delete" || (o.kind === "cas" && o.applied === true);

function at(o: Op): string {
  const ret = o.ret === Infinity ? "?" : String(o.ret);
  return `${o.kind}@[${o.call},${ret}]`;
}

/** One sentence naming an anomaly among `ops` (all on one key), or a generic one. */
export function explainKey(ops: readonly Op[]): string {
  const generic = `no order of its ${ops.length} operations explains what the reads returned`;
  // A counter's values come from increments, which this does not trace back.
  if (ops.some((o) => o.kind === "incr")) return generic;
  for (const read of ops) {
    if (read.kind !== "get" || read.value === "") continue;
    const source = ops.find((o) => writesValue(o) && o.value === read.value);
    if (source === undefined) return `${at(read)} read "${read.value}", which no write wrote`;
    if (source.call > read.ret) {
      return `${at(read)} read "${read.value}" before ${at(source)} wrote it`;
    }
    const newer = ops.find((o) =>
      o !== source && overwrites(o) && o.ret !== Infinity && source.ret < o.call &&
      o.ret < read.call
    );
    if (newer !== undefined) {
      return `stale read: ${at(read)} returned "${read.value}" written by ${at(source)}, ` +
        `though ${at(newer)} ("${newer.value}") had completed before the read began`;
    }
  }
  return generic;
}
