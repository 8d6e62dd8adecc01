/**
 * The faults the whole-node simulation injects (docs/simulation.md). Message
 * delay, reordering and chunking are always on in the simulated network and
 * are not counted here.
 */
export const FAULT_KINDS = [
  "crash-lose",
  "crash-tear",
  "restart",
  "partition",
  "one-way-cut",
  "conn-reset",
  "pause",
  "disk-full",
  "corrupt-file",
  "wipe-rejoin",
  "membership",
] as const;

export type FaultKind = typeof FAULT_KINDS[number];

export type FaultCounts = Record<FaultKind, number>;

export function zeroCounts(): FaultCounts {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as FaultCounts;
}

export function isFaultKind(name: string): name is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(name);
}

/** Parses `kind,kind,...`; throws naming the first unknown kind. */
export function parseFaultKinds(text: string): FaultKind[] {
  const kinds = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const k of kinds) {
    if (!isFaultKind(k)) throw new Error(`unknown fault kind '${k}' (${FAULT_KINDS.join(", ")})`);
  }
  return kinds as FaultKind[];
}

/** `crash-lose=2 partition=1`, leaving out kinds that did not occur. */
export function describeCounts(counts: FaultCounts): string {
  const parts = FAULT_KINDS.filter((k) => counts[k] > 0).map((k) => `${k}=${counts[k]}`);
  return parts.length === 0 ? "none" : parts.join(" ");
}
