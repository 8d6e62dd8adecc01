/**
 * Bounds of the storage engine's blob files (docs/storage.md "Blob files"); the engine's other
 * bounds are in limits.ts. docs/limits.md documents each.
 */
const MiB = 1024 * 1024;

/** Size at which a flush or compaction ends a blob file and starts the next. */
export const BLOB_FILE_BYTES_TARGET = 64 * MiB;
/** Blob files kept open at once for reads (a file per half memtable flushed: 256 is 8 GiB). */
export const BLOB_FILES_OPEN_MAX = 256;
/**
 * Percent of a blob file's bytes known dead (their references dropped by compactions) at which
 * compactions copy its live values elsewhere, so that the file can be deleted. Half: the copy
 * then writes at most as many bytes as it frees.
 */
export const BLOB_GARBAGE_PERCENT_COLLECT = 50;
