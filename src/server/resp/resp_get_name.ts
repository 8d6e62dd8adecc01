/**
 * How the RESP parser marks a GET it took by its fast path (resp_parser.ts), so that the session
 * can batch it (resp_get_run.ts) without looking at the name again.
 */
import type { RespCommand } from "./resp_parser.ts";

/**
 * The name of a GET the parser took by its fast path (resp_session.ts batches those): shared,
 * never written to. A GET spelled another way takes the general path, with its own copy.
 */
export const GET_UPPER: Uint8Array = new Uint8Array([0x47, 0x45, 0x54]);
export const GET_LOWER: Uint8Array = new Uint8Array([0x67, 0x65, 0x74]);

/** A GET with one key, as the parser's fast path gives it. */
export function isPlainGet(args: RespCommand): boolean {
  return args.length === 2 && (args[0] === GET_UPPER || args[0] === GET_LOWER);
}
