/** Histories for the checkers' tests, built as the state machine would record them. */
import type { KvEvent } from "../../../src/kv/key_state.ts";
import { RevHistory } from "../../../src/sim/rev_model.ts";
import { utf8 } from "../../../src/util/bytes.ts";

/** [revision, key, value or null for a delete, lease (default 0)], in revision order. */
export type Change = [number, string, string | null, number?];

export function historyOf(changes: readonly Change[]): RevHistory {
  const h = new RevHistory();
  for (const [rev, key, value, lease] of changes) {
    const prev = h.stateAt(key, rev);
    const e: KvEvent = value === null
      ? {
        type: "delete",
        kv: {
          key: utf8(key),
          value: new Uint8Array(0),
          createRevision: 0,
          modRevision: rev,
          version: 0,
          lease: 0,
          expireAtMs: 0,
        },
      }
      : {
        type: "put",
        kv: {
          key: utf8(key),
          value: utf8(value),
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0) + 1,
          lease: lease ?? 0,
          expireAtMs: 0,
        },
      };
    h.add([e]);
  }
  return h;
}
