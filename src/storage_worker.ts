/**
 * Entry point of the storage engine's background thread (docs/storage.md,
 * "Background worker"): serves flush and compaction jobs for the engines of
 * this process. Like src/main.ts it is an entry that picks the platform.
 */
import { getPlatform } from "./platform/detect.ts";
import { serveStorageJobs } from "./storage/jobs/worker_service.ts";

const platform = getPlatform();
const parent = platform.storageWorkerParent?.();
if (parent !== undefined) {
  const gc = platform.collectGarbage?.bind(platform);
  serveStorageJobs(parent, platform.fs, platform.clock, gc);
}
