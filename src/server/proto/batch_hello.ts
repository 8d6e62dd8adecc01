/**
 * The receiver's side of the batch-protocol negotiation (docs/formats.md,
 * "Peer batches"; the sender's is src/server/peer/peer_handshake.ts): a peer
 * Hello with `batch_version` is answered with a Hello of the version this
 * node accepts, or refused with a WireError that says why (the port sends it
 * as an error response and closes the connection).
 */
import { encodeWireFrame, WireError } from "../../wire/frame_codec.ts";

/** The answer frame to write, for a node whose peer sink accepts `accepted` (if any). */
export function answerBatchHello(
  nodeId: number,
  version: number,
  accepted: number | undefined,
): Uint8Array {
  if (nodeId === 0) throw new WireError("batch_version in a client Hello");
  if (accepted === undefined) {
    throw new WireError(
      `this node takes no region-tagged batches (peer ${nodeId} asked for version ${version})`,
    );
  }
  if (version !== accepted) {
    throw new WireError(
      `batch protocol version ${version} is not supported (this node speaks ${accepted})`,
    );
  }
  return encodeWireFrame({ case: "hello", value: { batchVersion: accepted } });
}
