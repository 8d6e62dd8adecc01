/**
 * The sender's side of the batch-protocol negotiation (docs/formats.md,
 * "Peer batches"): a link that will send region-tagged batches says
 * `batch_version` in its Hello and sends nothing more until the receiver
 * answers with a Hello of the same version. A receiver that does not speak it
 * answers with an error (a newer TinyKV) or not at all (an older one, which
 * ignores the unknown Hello field): the link then fails with a clear error
 * instead of sending frames the peer would misread.
 */
import { errorMessage } from "../../util/errors.ts";
import { FrameDecoder } from "../../util/frame.ts";
import { decodeWireFrame } from "../../wire/frame_codec.ts";
import { REGION_MODE_REFUSAL, RegionModeError, regionModeMismatch } from "./region_mode.ts";

/** Answers to a Hello are small; anything larger is not an answer. */
const ANSWER_BYTES_MAX = 64 * 1024;

export class BatchHandshake {
  readonly #decoder = new FrameDecoder(ANSWER_BYTES_MAX, 256);

  /** `self`: this node's id and region mode (region_mode.ts); an answer of another is a refusal. */
  constructor(
    readonly version: number,
    readonly peer: number,
    readonly self?: { readonly id: number; readonly mode: number },
  ) {}

  /** Bytes from the peer: true once accepted, an Error when refused, undefined meanwhile. */
  onData(chunk: Uint8Array): true | Error | undefined {
    try {
      for (const payload of this.#decoder.push(chunk)) {
        const b = decodeWireFrame(payload).body;
        if (b.case === "hello") {
          const v = b.value.batchVersion;
          const self = this.self;
          const mismatch = self === undefined
            ? undefined
            : regionModeMismatch(self, { id: this.peer, mode: b.value.regionMode });
          if (v === this.version && mismatch !== undefined) return new RegionModeError(mismatch);
          if (v === this.version) return true;
          const speaks = `this node speaks ${this.version}`;
          return new Error(`peer ${this.peer} answered batch protocol version ${v}, ${speaks}`);
        }
        const error = b.case === "response" ? b.value.error : undefined;
        if (error !== undefined) {
          const refused = `peer ${this.peer} refused the batch protocol: ${error.message}`;
          const modes = error.message.includes(REGION_MODE_REFUSAL);
          return modes ? new RegionModeError(refused) : new Error(refused);
        }
      }
    } catch (err) {
      return new Error(
        `peer ${this.peer} answered the batch Hello with bad bytes: ${errorMessage(err)}`,
      );
    }
    return undefined;
  }
}

/** The error of a peer that never answered: an older TinyKV ignores the Hello field. */
export function handshakeTimeoutError(peer: number, ms: number): Error {
  return new Error(
    `peer ${peer} did not answer the batch protocol Hello in ${ms} ms ` +
      "(a TinyKV without multi-region batches?)",
  );
}
