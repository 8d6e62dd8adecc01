/** A lease table over a Map, for keeper tests (the state machine's LeaseTable in miniature). */
import type { LeaseRecord, LeaseSource } from "../../../src/server/leases/lease_keeper.ts";

export function mapLeaseSource(map: ReadonlyMap<number, LeaseRecord>): LeaseSource {
  return {
    get size() {
      return map.size;
    },
    get: (id) => map.get(id),
    list: () => [...map.values()].sort((a, b) => a.id - b.id),
  };
}
