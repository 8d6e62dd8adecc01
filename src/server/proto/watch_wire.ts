/** A watch stream's message (watch_types.ts) as a WatchResponse on the protobuf port. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { EventType, type WatchResponseSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import { keyValueOf } from "../../kv/key_value_wire.ts";
import type { WatchMessage } from "../watch/watch_types.ts";

type WatchResponseInit = MessageInitShape<typeof WatchResponseSchema>;

function eventOf(e: KvEvent, prevKv: boolean) {
  return {
    type: e.type === "delete" ? EventType.DELETE : EventType.PUT_UNSPECIFIED,
    kv: keyValueOf(e.kv),
    prevKv: prevKv && e.prev !== undefined ? keyValueOf(e.prev) : undefined,
  };
}

export function watchResponseOf(m: WatchMessage, prevKv: boolean): WatchResponseInit {
  switch (m.kind) {
    case "events":
      return { events: m.events.map((e) => eventOf(e, prevKv)), revision: BigInt(m.revision) };
    case "progress":
      return { progress: true, revision: BigInt(m.revision) };
    case "canceled":
      return {
        canceled: true,
        cancelReason: m.reason,
        revision: BigInt(m.revision),
        compactRevision: BigInt(m.compactRevision ?? 0),
      };
  }
}
