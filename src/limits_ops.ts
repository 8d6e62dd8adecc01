/** Bounds added for security and operations (issue 13); docs/limits.md documents each. */
const KiB = 1024;
const MiB = 1024 * KiB;

// ---- Users, passwords and tokens (src/auth) ----
/** Largest auth file a node reads (`--auth-file`). */
export const AUTH_FILE_BYTES_MAX = 1024 * KiB;
/** Most users and most roles in one auth file. */
export const AUTH_USERS_MAX = 10_000;
export const AUTH_ROLES_MAX = 10_000;
/** Most key-prefix permissions in one role. */
export const AUTH_PERMISSIONS_PER_ROLE_MAX = 1_000;
/** Longest user or role name, in bytes. */
export const AUTH_NAME_BYTES_MAX = 128;
/** Longest password accepted, in bytes (longer ones are refused before any hashing). */
export const AUTH_PASSWORD_BYTES_MAX = 1024;
/** PBKDF2-HMAC-SHA256 iterations: new hashes use the default; a stored count must be in range. */
export const AUTH_HASH_ITERATIONS_DEFAULT = 600_000;
export const AUTH_HASH_ITERATIONS_MIN = 10_000;
export const AUTH_HASH_ITERATIONS_MAX = 10_000_000;
/** Password checks running at once; more wait in a queue of the next bound, then fail. */
export const AUTH_VERIFY_CONCURRENCY = 2;
export const AUTH_VERIFY_QUEUE_MAX = 256;
/** Credentials and tokens a node remembers as checked (a bounded cache, oldest dropped). */
export const AUTH_VERIFIED_CACHE_MAX = 4096;
/** How long a token from authenticating stays valid. */
export const AUTH_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Longest token accepted, in bytes. */
export const AUTH_TOKEN_BYTES_MAX = 512;

// ---- HTTP port authentication (src/server/http) ----
/** Largest body POST /auth/token reads ({"user","password"} as JSON); larger is refused. */
export const HTTP_AUTH_BODY_BYTES_MAX = 4 * KiB;
// ---- RESP port: authentication and the HTTP guard (src/server/resp) ----
/** At most one log line per this interval about HTTP requests sent to the RESP port. */
export const RESP_HTTP_WARNING_INTERVAL_MS = 60_000;

// ---- Logs (docs/logging.md) ----
/** Lines of one event kind written at once; past it the kind's lines are dropped and counted. */
export const LOG_EVENT_BURST = 20;
/** How fast an event kind's budget refills, in lines a second. */
export const LOG_EVENTS_PER_SECOND = 1;
/** How often dropped lines are summed up, one `log.suppressed` line per kind. */
export const LOG_SUPPRESSED_SUMMARY_MS = 10_000;
/** Default `--slow-request-ms`: client requests at least this slow are logged. */
export const SLOW_REQUEST_MS_DEFAULT = 500;
/** Bytes of a key shown in a log line (keys may be long or private). */
export const LOG_KEY_PREFIX_BYTES = 32;

// ---- Engine scans (src/storage/scan.ts) ----
/** Most entries one `scanChunks` chunk may hold (each chunk is computed and held at once). */
export const SCAN_CHUNK_ENTRIES_MAX = 65_536;

// ---- Transactions across regions (src/txn, docs/transactions.md) ----
/** Keys one prewrite, commit, rollback or lock resolution of one region may name. */
export const TXN_REGION_KEYS_MAX = 10_000;
/** Longest lock TTL a prewrite may ask for; a coordinator silent this long is presumed dead. */
export const TXN_LOCK_TTL_MS_MAX = 600_000;
/** Default lock TTL of a transaction's prewrite. */
export const TXN_LOCK_TTL_MS_DEFAULT = 3_000;
/** Most locks one `scanLocks` (the background resolver's sweep) returns. */
export const TXN_SCAN_LOCKS_MAX = 1_024;
/** Timestamps one request to the timestamp oracle may take at once. */
export const TSO_BATCH_MAX = 65_536;
/** How far ahead of its clock the timestamp oracle persists its upper bound. */
export const TSO_WINDOW_MS = 3_000;

// ---- Transactions on regions (src/kv/region_txn_apply.ts, src/txn/routed_txn_client.ts) ----
/** Largest encoded transactional request of one region (a Raft entry; below the apply batch). */
export const TXN_COMMAND_BYTES_MAX = 32 * MiB;
/** Most entries one transactional scan of one region returns (the caller pages on). */
export const TXN_SCAN_ENTRIES_MAX = 1_024;
/** Tries of one request on stale routes or leaders before it fails (retryable) to the caller. */
export const TXN_ROUTE_ATTEMPTS_MAX = 16;
/** Timestamps one current scan over several regions takes while compactions pass them. */
export const SNAPSHOT_SCAN_ATTEMPTS_MAX = 3;
/** Distinct keys one `txn` or `batch` across regions may read or write (node_reads per key). */
export const TXN_CROSS_REGION_KEYS_MAX = 1_024;
/**
 * Bytes a `txn` or `batch` across regions may write (keys and values) and answer (its encoded
 * response): half a region's transactional request, so a prewrite, and the primary's commit
 * carrying the answer, stay within TXN_COMMAND_BYTES_MAX.
 */
export const TXN_CROSS_REGION_BYTES_MAX = TXN_COMMAND_BYTES_MAX / 2;
/** Tries of a `txn` or `batch` across regions on conflicts before it answers UNAVAILABLE. */
export const TXN_CROSS_REGION_ATTEMPTS = 3;

/**
 * Tries of a RESP `WATCH`'s token read (a linearizable read of each key, by its region's leader on
 * a node holding some regions) refused for a passing reason (UNAVAILABLE: a leader changing, a
 * region splitting under the read) before `WATCH` answers the refusal.
 */
export const REDIS_WATCH_READ_ATTEMPTS = 3;
/** How often each region leader's lock resolver looks for expired locks (txn_resolver.ts). */
export const TXN_RESOLVE_INTERVAL_MS = 1_000;
/** Expired locks one resolver pass finishes per region (the rest wait for the next pass). */
export const TXN_RESOLVE_LOCKS_PER_PASS = 256;

// ---- multi-region raft log (src/raft/multi_log_store.ts) ----
/** Most regions one node's shared Raft log holds; a new region past it is refused. */
export const MULTI_LOG_REGIONS_MAX = 100_000;
/**
 * Encoded bytes of entries in one record: a region's larger batch is split into several records
 * (one entry larger than this, up to FRAME_BYTES_MAX, gets a record of its own).
 */
export const MULTI_LOG_RECORD_BYTES_MAX = 1 * MiB;
/** Size at which the shared log starts a new segment file. */
export const MULTI_LOG_SEGMENT_BYTES = 64 * MiB;
/**
 * Segment files kept before the regions that still need the oldest one (idle regions, whose
 * hard state or uncompacted entries sit in it) have those records copied to the current segment,
 * so the oldest can be deleted. Bounds the log's files, and each region's index of them.
 */
export const MULTI_LOG_SEGMENTS_KEPT = 4;

// ---- multi-region raft driver (src/raft/multi/driver.ts) ----
/** Peer batches (one per peer node per round, or a liveness beat) queued between rounds. */
export const MULTI_RAFT_INBOX_BATCHES_MAX = 4096;

// ---- Placement: src/limits_placement.ts ----
export * from "./limits_placement.ts";

// ---- Linearizable reads (src/server/node/read_barrier.ts) ----
/**
 * A ReadIndex round unconfirmed after this long no longer holds back the next round (its reads
 * keep waiting for it until the request timeout): one lost message must not stall every read.
 */
export const READ_ROUND_RETRY_MS = 500;

// ---- Background storage worker (src/storage/jobs) ----
/** How long the engine waits for its flush and compaction worker to start before running inline. */
export const STORAGE_WORKER_START_MS = 10_000;

// ---- RESP write batching (src/server/resp/resp_write_batcher.ts) ----
/** Most RESP write requests one batch log entry carries; more go in the next entry. */
export const RESP_WRITE_BATCH_REQUESTS_MAX = 1_000;
/**
 * Most argument bytes one batch entry carries (a request over this is proposed alone);
 * with RESP_WRITE_BATCH_REQUESTS_MAX it keeps an entry's apply short.
 */
export const RESP_WRITE_BATCH_BYTES_MAX = 1024 * KiB;
/**
 * Batches a RESP port keeps proposed and unanswered at once; writes arriving meanwhile
 * gather into the next batch (they would wait for the same log write anyway).
 */
export const RESP_WRITE_BATCHES_INFLIGHT_MAX = 2;

// ---- Background work on the serving thread (issue 14: growth and stalls) ----
/**
 * Engine entries (history records and key index entries) one slice of history compaction
 * examines before it writes its deletes and yields the event loop for a timer turn.
 */
export const HISTORY_COMPACT_SLICE_ENTRIES = 1024;
/**
 * Bytes history compaction spends remembering each key's one live change (history_pass_keys.ts),
 * half for the pass running and half for the keys of the pass before, so a key met again (in a
 * later batch, or in the next pass: every hot key) costs no index seek. Past it, further keys
 * are not remembered: still correct, each costs a seek.
 */
export const HISTORY_COMPACT_PASS_KEY_BYTES_MAX = 8 * MiB;

// ---- multi-region peer transport (src/server/peer/multi_peer_transport.ts) ----
/**
 * Region messages and beats held for one peer node (PEER_QUEUE_BYTES_MAX bounds their bytes):
 * a round of 10,000 busy regions is 10,000 messages. A batch that does not fit is dropped whole,
 * counted, and the peer reported unreachable; Raft retransmits.
 */
export const MULTI_PEER_QUEUE_MSGS_MAX = 65_536;
/** Regions one liveness beat may list; a larger beat is refused (the connection is closed). */
export const MULTI_PEER_BEAT_QUIET_MAX = 100_000;
/** Bytes of one chunk of a region's streamed snapshot. */
export const MULTI_SNAPSHOT_CHUNK_BYTES = 256 * KiB;
/**
 * Bytes waiting toward a peer (held and in its socket) above which a snapshot stream waits
 * before its next chunk: a heartbeat of another region waits behind at most this plus a chunk.
 */
export const MULTI_SNAPSHOT_WINDOW_BYTES = 1 * MiB;
/** Snapshots waiting for their turn toward one peer (one streams at a time); more fail. */
export const MULTI_SNAPSHOTS_QUEUED_MAX = 64;
/** Largest region snapshot image a receiver assembles (checked on the declared size first). */
export const MULTI_SNAPSHOT_BYTES_MAX = 512 * MiB;
/** Snapshot streams a receiver assembles at once; a new one past it drops the oldest. */
export const MULTI_SNAPSHOT_STREAMS_MAX = 16;
/** How long a link waits for the answer to its batch-protocol Hello (an old peer never answers). */
export const MULTI_PEER_HANDSHAKE_MS = 5_000;

// ---- Region routing (src/server/proto/route_check.ts, src/client/route_cache.ts) ----
/** Regions in one `Regions` answer (a request's limit is capped to it; `more` says more exist). */
export const REGIONS_RESPONSE_MAX = 1024;
/** Descriptors a stale-route error carries (the regions overlapping what was asked). */
export const ROUTE_ERROR_REGIONS_MAX = 64;
/** Attempts of one request per region after stale-route errors before the client gives up. */
export const CLIENT_ROUTE_ATTEMPTS_MAX = 8;
/** Regions a client's route cache holds; past it the cache starts again from empty. */
export const CLIENT_ROUTE_CACHE_REGIONS_MAX = 100_000;
/**
 * A client whose node does not answer `Regions` (an older node, a stand-in) sends its requests
 * unrouted, as without routing, for this long before asking again (route_cache.ts).
 */
export const CLIENT_UNROUTED_RECHECK_MS = 60_000;

// ---- RESP reads (issue 14: pipelined GETs, src/server/resp/resp_get_run.ts) ----
/**
 * Most consecutive GETs of one connection answered as one run (one read, one reply buffer);
 * a longer pipeline of GETs continues in the next run.
 */
export const RESP_GET_RUN_MAX = 256;

// ---- Region snapshots on a shared engine (src/kv/region_snapshot_import.ts) ----
/** Operations in one engine batch of a region snapshot's import or clearing. */
export const REGION_IMPORT_BATCH_OPS = 10_000;
/** Key and value bytes after which an import batch is written (plus at most one record). */
export const REGION_IMPORT_BATCH_BYTES = 4 * MiB;
/**
 * A node reading a region image (its head, its verification, its records: region_image_install.ts)
 * or streaming one (snapshot_sender.ts) yields a timer turn once this long passed since its last.
 */
export const IMAGE_READ_TURN_MS = 10;

// ---- The node holding many regions (src/server/node/region_split_check.ts) ----
/** How often a node's split check looks at the sizes of the regions it leads. */
export const REGION_SPLIT_CHECK_MS = 1_000;
/** Regions one split check looks at; the next check continues with the rest. */
export const REGION_SPLIT_CHECK_REGIONS_MAX = 64;
/**
 * Current keys a split check reads to find a middle key when the engine's tables cannot cut
 * the region (its data still in the memtable): the middle of the first this many keys.
 */
export const REGION_SPLIT_SCAN_KEYS_MAX = 10_000;
/** Split checks after which a split proposed and not applied is proposed again. */
export const REGION_SPLIT_RETRY_CHECKS = 5;
/** Times a node routes a write again after a split refused it at apply (then UNAVAILABLE). */
export const REGION_REROUTES_MAX = 3;
/**
 * Attempts a node makes to send a request whose region it holds no replica of (remote_regions.ts):
 * each asks placement or its route cache for the region's leader; a stale route is tried again.
 */
export const NODE_ROUTE_ATTEMPTS_MAX = 3;
/** Regions a node's cache of forwarding routes holds; past it the cache starts over. */
export const NODE_ROUTES_CACHED_MAX = 1024;
/** Redis keys one RedisKeysRequest answers (a stitched SCAN page's COUNT, capped, and one more). */
export const REDIS_KEYS_PART_MAX = 10_001;
// A Redis read sent to a peer holding its keys' region (redis_command_reads.ts): arguments, their
// bytes (past them: the log's path) and reply bytes (VALUE_BYTES_MAX + 512 KiB; past: TOO_LARGE).
export const REDIS_PEER_READ_ARGS_MAX = 100_000;
export const REDIS_PEER_READ_BYTES_MAX = 16 * MiB;
export const REDIS_PEER_READ_REPLY_BYTES_MAX = 128 * MiB + 512 * KiB;
/** Region ids per node (a node allocates node id × this + n; the placement service will later). */
export const REGION_IDS_PER_NODE = 1_000_000_000;
/** Region ids a node reserves durably at a time (region_ids.ts). */
export const REGION_ID_RESERVE = 64;
/**
 * Regions other than region 1 whose expiry sweep (or history retention check) one tick of the
 * node's region services visits, round-robin (src/server/node/region_services.ts): the work per
 * tick is bounded whatever the region count, and a quiescent region costs no timer of its own.
 */
export const REGION_SERVICES_REGIONS_PER_TICK = 64;
/**
 * Replicas a node creates from peers' messages and holds uninitialized (waiting for their
 * region's image) at a time (region_creation.ts); a message for another unknown region is
 * dropped until one is filled.
 */
export const REGION_UNINITIALIZED_MAX = 64;

/**
 * How long an uninitialized replica waits for its region's image before the node removes it
 * (region_creation.ts): a leader's message still in flight when the node was removed from the
 * region made it, and nothing fills it. A replica the leader does want is made again by its next
 * message. Long enough for a region's image to arrive under load.
 */
export const REGION_UNINITIALIZED_TTL_MS = 30_000;

// ---- Storage: table readers (issue 14) ----
/**
 * Memory for resident tables' indexes and filters (default; `DbOptions.tableReaderBytes`).
 * The 2.3 GB store of `bench:growth` (1 KB values) held 84 KiB per 2 MiB table, so 128 MiB
 * keeps ~1,550 tables (≈ 3.4 GB) resident; beyond it readers are dropped in CLOCK order.
 */
export const TABLE_READERS_BYTES_DEFAULT = 128 * MiB;
/** Tables a node opens in the background after it starts (the first reads then find them). */
export const TABLE_PRELOAD_MAX = 4096;

// ---- Merge (src/kv/region_merge_command.ts) ----
/** Entries of the source's log one CommitMerge carries at most (a decode bound). */
export const MERGE_ENTRIES_MAX = 4_096;
/** Data bytes of the source's entries one CommitMerge carries at most. */
export const MERGE_ENTRIES_BYTES_MAX = 8 * MiB;
/** Merge checks after which a merge command proposed and not applied is proposed again. */
export const MERGE_RETRY_CHECKS = 5;
/**
 * Sources a merged region remembers having absorbed (merged_sources.ts): a replica of one of
 * them that missed the commit (its target jumped past it by an image) learns from it that it is
 * gone. Past it the lowest source id is forgotten.
 */
export const MERGED_SOURCES_KEPT = 64;
/**
 * Entries with no command per apply while a replica merged away skips an image of its region
 * (merged_image.ts): its applied index moves to the image's in batches of at most this many.
 */
export const MERGED_IMAGE_SKIP_BATCH = 1024;
