/**
 * The receiver's side of the batch-protocol negotiation (docs/formats.md,
 * "Peer batches"; the sender's is src/server/peer/peer_handshake.ts): a peer
 * Hello with `batch_version` is answered with a Hello of the version this
 * node accepts and its region mode, or refused with a WireError that says why
 * (the port sends it as an error response and closes the connection): another
 * version, or a peer that runs its regions the other way (region_mode.ts).
 */
import { encodeWireFrame, WireError } from "../../wire/frame_codec.ts";
import { regionModeMismatch } from "../peer/region_mode.ts";

/** What the node's peer sink takes: its batch version and region mode (absent: none). */
export interface BatchAccepted {
  readonly batchVersion?: number;
  readonly regionMode?: () => number;
  /** This node's id, named in a refusal for the region modes. */
  readonly selfId?: number;
}

/** The answer frame to write, for a node whose peer sink accepts `accepted`. */
export function answerBatchHello(
  nodeId: number,
  hello: { readonly batchVersion: number; readonly regionMode: number },
  accepted: BatchAccepted | undefined,
): Uint8Array {
  const version = hello.batchVersion;
  if (nodeId === 0) throw new WireError("batch_version in a client Hello");
  const speaks = accepted?.batchVersion;
  if (speaks === undefined) {
    throw new WireError(
      `this node takes no region-tagged batches (peer ${nodeId} asked for version ${version})`,
    );
  }
  if (version !== speaks) {
    throw new WireError(
      `batch protocol version ${version} is not supported (this node speaks ${speaks})`,
    );
  }
  const mode = accepted?.regionMode?.();
  const mismatch = mode === undefined
    ? undefined
    : regionModeMismatch({ id: accepted?.selfId ?? 0, mode }, {
      id: nodeId,
      mode: hello.regionMode,
    });
  if (mismatch !== undefined) throw new WireError(mismatch);
  return encodeWireFrame({ case: "hello", value: { batchVersion: speaks, regionMode: mode } });
}
