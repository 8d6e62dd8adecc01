/** Reads at a revision: the state machine's revision errors as the ports' typed errors. */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  CompactedError,
  FutureRevisionError,
  MissingHistoryError,
} from "../../kv/revision_errors.ts";
import { ServiceError } from "../kv_service.ts";
import type { EngineHolder } from "./engine_holder.ts";

export async function revisionRead<T>(engine: EngineHolder, run: () => Promise<T>): Promise<T> {
  try {
    return await engine.read(run);
  } catch (err) {
    if (err instanceof CompactedError) {
      throw new ServiceError(ErrorCode.COMPACTED, err.message, 0, "", err.compactedRevision);
    }
    if (err instanceof MissingHistoryError) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `${err.message}; retry`);
    }
    if (err instanceof FutureRevisionError) {
      throw new ServiceError(ErrorCode.FUTURE_REVISION, err.message);
    }
    throw err;
  }
}
