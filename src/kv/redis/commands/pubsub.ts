/**
 * PUBLISH inside the replicated state machine. The message goes through the
 * Raft log like any write, so every node applies it at the same place in the
 * log and hands it to its own subscribers in log order (the node's pub/sub
 * hub, src/server/pubsub/). Who is subscribed is per node and not replicated,
 * so the apply step cannot count receivers: it answers 0 and the RESP port
 * answers with the count of the node the client is connected to
 * (src/server/resp/resp_pubsub.ts), as Redis Cluster also counts only the
 * subscribers of the node that received the PUBLISH.
 */
import type { RedisCommandSpec, RunCommand } from "../command.ts";
import { int } from "../reply.ts";

const publish: RunCommand = (c, args) => {
  c.storage.emit({ kind: "publish", channel: args[1], message: args[2] });
  return int(0);
};

export const PUBSUB_COMMANDS: Record<string, RedisCommandSpec> = {
  publish: {
    arity: 3,
    kind: "write",
    flags: ["pubsub", "loading", "stale", "fast", "may-replicate"],
    keys: [0, 0, 0],
    run: publish,
  },
};
