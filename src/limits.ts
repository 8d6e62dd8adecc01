/**
 * Every bound in TinyKV, in one place (docs/style.md §2.14). Each queue, batch, buffer,
 * frame, key and value has a maximum here; exceeding one is a typed result or a
 * clear error, never silent growth. Relations between limits are asserted when
 * the module loads, and `tests/limits_test.ts` imports it to prove they hold.
 *
 * Documented for users in docs/limits.md: keep the two in step.
 */
import { assert } from "./util/assert.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

// ---- Keys and values (every port, the engine, the state machine) ----
/** Longest key accepted anywhere. */
export const KEY_BYTES_MAX = 4 * KiB;
/** Largest value accepted by the embedded engine and the server. */
export const VALUE_BYTES_MAX = 128 * MiB;
/** Largest atomic write batch (sum of keys and values) in the engine. */
export const WRITE_BATCH_BYTES_MAX = 256 * MiB;
/** Most operations in one atomic batch. */
export const WRITE_BATCH_OPS_MAX = 100_000;

// ---- Frames on the protobuf TCP port ----
/** Largest length-prefixed frame; the length is checked before allocating. */
export const FRAME_BYTES_MAX = VALUE_BYTES_MAX + 1 * MiB;
export const ANNOUNCED_BUFFER_START_BYTES = 64 * KiB; // grown as announced bytes arrive

// ---- RESP port ----
/** Largest RESP bulk string (a SET value). */
export const RESP_BULK_BYTES_MAX = VALUE_BYTES_MAX;
/** Most arguments in one RESP command (MSET/MGET/DEL). */
export const RESP_ARGS_MAX = 1024 * 1024;
/** Longest inline command line or RESP header line. */
export const RESP_LINE_BYTES_MAX = 64 * KiB;
/** Open SCAN cursors remembered per node; the oldest is forgotten first. */
export const RESP_SCAN_CURSORS_MAX = 65_536;
/** Most keys KEYS returns; past it, KEYS fails and asks for SCAN. */
export const RESP_KEYS_MAX = 100_000;
/** Commands of one connection executing or waiting for their replies. */
export const RESP_PIPELINE_MAX = 1024;
/** Most bytes of arguments in one RESP command (a large MSET). */
export const RESP_COMMAND_BYTES_MAX = WRITE_BATCH_BYTES_MAX;
/** Most commands queued by one MULTI (or batched into one log entry); past it EXEC aborts. */
export const REDIS_MULTI_COMMANDS_MAX = 10_000;
/** Most keys one connection may WATCH at once. */
export const REDIS_WATCHED_KEYS_MAX = 10_000;
/** Most channels and patterns one connection may be subscribed to at once (pub/sub). */
export const REDIS_SUBSCRIPTIONS_MAX = 100_000;
/** Longest key of a Redis hash or set (its members' engine keys carry it, escaped). */
export const REDIS_COLLECTION_KEY_BYTES_MAX = 1 * KiB;
/** Longest hash field or set member. */
export const REDIS_MEMBER_BYTES_MAX = 2 * KiB - 64;
/**
 * Engine writes one Redis request (a command, or a MULTI block) may make: past
 * it the request changes nothing and answers an error (FLUSHDB/FLUSHALL
 * outside MULTI go on in further steps instead).
 */
export const REDIS_REQUEST_OPS_MAX = 40_000;
/** Bytes a Redis request may write at least (more for a request that itself carries more). */
export const REDIS_REQUEST_BYTES_MIN = 64 * MiB;
/** Most members of a hash or set one RENAME or COPY copies (its members move one by one). */
export const REDIS_COPY_MEMBERS_MAX = 10_000;
/** Most bytes (members and values) of a hash or set one RENAME or COPY copies. */
export const REDIS_COPY_BYTES_MAX = 32 * MiB;
/** Keys RANDOMKEY looks at: it picks among at most this many from a random place. */
export const REDIS_RANDOMKEY_SAMPLE_MAX = 1000;
/** Applied entries of this many bytes or more make the node ask its runtime to collect garbage. */
export const LARGE_APPLY_GC_BYTES = 32 * MiB;
/** Databases a RESP client can SELECT (Redis's default `databases 16`). */
export const REDIS_DATABASES = 16;
/**
 * Most members one Redis command may add or remove one by one (SADD, SREM, SPOP with a count
 * smaller than the set, *STORE results): a command's writes go into one engine batch.
 */
export const REDIS_MEMBER_WRITES_MAX = 10_000;
/** Most members SRANDMEMBER with a negative count (repeats allowed) returns. */
export const REDIS_RANDOM_MEMBERS_MAX = 100_000;
/** Engine keys (dead hash and set members) the background garbage collector deletes per write. */
export const REDIS_GARBAGE_BATCH = 1_000;

// ---- Connections ----
/** Most client connections a node accepts at once, per port. */
export const CONNECTIONS_MAX = 4096;
/** Bytes queued for a slow socket before the connection is closed. */
export const CONN_WRITE_QUEUE_BYTES_MAX = 256 * MiB;
/** TLS (docs/tls.md): handshake time; sockets a port holds past CONNECTIONS_MAX; PEM file. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000, TLS_HANDSHAKES_MAX = 1024, TLS_PEM_BYTES_MAX = MiB;

// ---- Replicated key-value state machine (src/kv) ----
/**
 * Longest key a client may store (the engine key adds a namespace byte), with each
 * 0x00 byte counted twice: the key index (0x04) escapes it.
 */
export const KV_KEY_BYTES_MAX = KEY_BYTES_MAX - 16;
/**
 * Largest value a client may store. A put writes its value twice in one engine
 * batch (the key's current record and its history record), so two of them
 * and their headers must fit WRITE_BATCH_BYTES_MAX.
 */
export const KV_VALUE_BYTES_MAX = VALUE_BYTES_MAX - 1 * MiB;
/** Saved results per client session (the dedup window of unacknowledged writes). */
export const SESSION_RESULTS_MAX = 4096;
/** Client sessions remembered; the least recently active is forgotten beyond it. */
export const SESSIONS_MAX = 100_000;
/** Most keys one scan page returns. */
export const SCAN_LIMIT_MAX = 10_000;
/** Default page size of a scan without a limit. */
export const SCAN_LIMIT_DEFAULT = 1000;
/** Most keys a scan may skip with `offset` (use the cursor to page further). */
export const SCAN_OFFSET_MAX = 100_000;
// ---- Coordination API: transactions, history, leases (docs/coordination.md) ----
/** Most compares in one transaction. */
export const TXN_COMPARES_MAX = 128;
/** Most operations in one branch (success or failure) of a transaction. */
export const TXN_OPS_MAX = 128;
/** Most keys a range inside a transaction may match (it counts them all). */
export const TXN_RANGE_KEYS_MAX = 100_000;
/** Most keys one delete-range (in a transaction) may delete. */
export const DELETE_RANGE_KEYS_MAX = 10_000;
/** Most leases that may exist at once. */
export const LEASES_MAX = 100_000;
/** Most keys attached to one lease (its revoke deletes them in one command). */
export const LEASE_KEYS_MAX = 10_000;
/** Longest lease TTL a grant may ask for: one year. */
export const LEASE_TTL_SECONDS_MAX = 365 * 24 * 3600;
/** Latest key expiry (and longest TTL) a put or expire may set, Unix ms: end of year 9999. */
export const KEY_EXPIRE_AT_MS_MAX = 253_402_300_799_999;
/** Keys one expire_keys command (the leader's expiry sweep) deletes at most. */
export const EXPIRE_KEYS_PER_COMMAND_MAX = 256;
/** History records one history read (a watch catching up) examines before it returns. */
export const HISTORY_READ_RECORDS_MAX = 10_000;
/** Key index entries one pass of history compaction examines before it yields. */
export const HISTORY_COMPACT_BATCH = 5_000;

/** Engine bytes gathered by one apply pass before they are written as one batch. */
export const APPLY_BATCH_BYTES_MAX = 64 * MiB;
/** Engine operations gathered by one apply pass before they are written. */
export const APPLY_BATCH_OPS_MAX = 50_000;

// ---- Lease expiry on the leader (docs/coordination.md) ----
/** Expiry revokes a leader has proposed and not yet seen applied; more wait for the next check. */
export const LEASE_REVOKES_INFLIGHT_MAX = 64;
/** Deadline-heap entries one expiry check looks at (bounds the work of one timer tick). */
export const LEASE_EXPIRY_CHECK_ENTRIES_MAX = 4096;

// ---- Watch (src/server/watch, docs/coordination.md) ----
/** Events waiting in one watch's buffer; past it the watch is canceled as too slow. */
export const WATCH_BUFFER_EVENTS_MAX = 10_000;
/** Bytes (keys and values) waiting in one watch's buffer; past it the watch is canceled. */
export const WATCH_BUFFER_BYTES_MAX = 64 * MiB;
/** Open watches on one client connection. */
export const WATCHES_PER_CONNECTION_MAX = 1024;
/** Open watches on one node. */
export const WATCHES_PER_NODE_MAX = 16_384;
/** Events one history read of a catching-up watch returns (whole revisions may add more). */
export const WATCH_HISTORY_BATCH_EVENTS = 1000;
/** Bytes of events merged into one watch response (a revision's events are never split). */
export const WATCH_RESPONSE_BYTES_MAX = 1 * MiB;
/** Bytes of one watch response's changes (one revision may exceed the merge size up to this). */
export const WATCH_EVENT_BYTES_MAX = FRAME_BYTES_MAX - 1 * MiB;
/** Bytes queued on a connection's socket at which its watches stop sending until it drains. */
export const WATCH_SOCKET_QUEUE_BYTES_MAX = 4 * MiB;
/** Events a client's watch holds for a slow consumer before it pauses the server stream. */
export const CLIENT_WATCH_BUFFER_EVENTS_MAX = 10_000;

// ---- Client library ----
/** Requests in flight on one client connection. */
export const CLIENT_INFLIGHT_MAX = 4096;
/** Endpoints a client rotates through: the configured ones plus leaders learned from redirects. */
export const CLIENT_ENDPOINTS_MAX = 64;
/** How often (at most) a client refreshes its endpoints from the member list, in ms. */
export const CLIENT_MEMBER_SYNC_MS = 1_000;
/** Keep-alive responses a lease's keep-alive handle holds unread; the oldest is dropped. */
export const CLIENT_KEEPALIVE_BUFFERED_MAX = 16;
/**
 * Slowest transfer rate the client library's default timeouts allow for: a
 * request's attempt timeout and deadline grow by 1 s per this many payload
 * bytes (a 100 MiB put gets 25 s more), and a response still arriving keeps
 * its attempt alive.
 */
export const CLIENT_TIMEOUT_BYTES_PER_SECOND = 4 * MiB;

/**
 * Longest deadline or timeout a client caller may give, in ms (~24.8 days):
 * the largest delay the runtimes' timers honour (a longer one fires at once).
 */
export const CLIENT_TIMEOUT_MS_MAX = 2 ** 31 - 1;

// ---- Storage engine ----
/** Memtable size at which it becomes immutable and is flushed. */
export const MEMTABLE_BYTES_MAX = 64 * MiB;
/** Number of L0 tables at which writes are slowed down. */
export const L0_FILES_SLOWDOWN = 8;
/** Number of L0 tables at which writes stop until compaction catches up. */
export const L0_FILES_STOP = 12;
/** Number of L0 tables that triggers an L0→L1 compaction. */
export const L0_FILES_COMPACTION_TRIGGER = 4;
/** Default block cache capacity. */
export const BLOCK_CACHE_BYTES_DEFAULT = 64 * MiB;
/** Smallest memtable a caller may configure (tests use small ones to force flushes). */
export const MEMTABLE_BYTES_MIN = 4 * KiB;
/** Target size of a table written by a flush or compaction (cut only between user keys). */
export const TABLE_FILE_BYTES_TARGET = 2 * MiB;
/** Level 0's batch assumed until a flush shows it (`level1Bytes`; storage.md "Level sizes"). */
export const LEVEL1_BYTES_MAX = 10 * MiB;
/**
 * Entries a compaction or flush processes between checks of its time budget
 * (it yields to requests once 4 ms have passed). At 2,048 a step of 4 KiB
 * values was 8 MiB and held the loop 20-45 ms.
 */
export const COMPACTION_STEP_ENTRIES = 128;
/** Bytes of write batches merged into one group commit (one WAL append + one fdatasync). */
export const COMMIT_GROUP_BYTES_MAX = 4 * MiB;
/** Live snapshots at once; `snapshot()` fails beyond this. */
export const SNAPSHOTS_MAX = 65_536;
/** Table files kept open at once (default); index and filter stay cached with them. */
export const TABLE_CACHE_FILES_MAX = 1000;
// ---- Raft ----
/** Most append messages in flight to one follower (pipelining window). */
export const RAFT_INFLIGHT_MSGS_MAX = 256;
/** Target largest append message (entries are batched up to this). */
export const RAFT_MSG_BYTES_MAX = 1 * MiB;
/** Uncommitted log bytes at which the leader refuses new proposals. */
export const RAFT_UNCOMMITTED_BYTES_MAX = 512 * MiB;
/** Entry bytes applied since the last log compaction at which a node compacts its Raft log. */
export const RAFT_LOG_COMPACT_BYTES = 64 * MiB;
/** Writes proposed on one node and waiting to be applied; beyond it writes are refused. */
export const PROPOSALS_PENDING_MAX = 65_536;
/** ReadIndex requests waiting for confirmation on one node. */
export const READ_INDEX_PENDING_MAX = 65_536;
/** Messages waiting in a node's inbox before new ones are dropped. */
export const RAFT_INBOX_MSGS_MAX = 65_536;
/** Snapshot transfer chunk size. */
export const SNAPSHOT_CHUNK_BYTES = 4 * MiB;
/** Largest snapshot stream a node accepts from a peer (imported into a staging engine). */
export const SNAPSHOT_BYTES_MAX = 4 * 1024 * MiB;
/** First wait before retrying a write that failed for lack of disk space (doubles each time). */
export const DISK_RETRY_MS_MIN = 100;
/** Longest wait between retries of a write that failed for lack of disk space. */
export const DISK_RETRY_MS_MAX = 2000;
/** Messages held for one peer while its connection is down or its socket is not draining. */
export const PEER_QUEUE_MSGS_MAX = 8192;
/** Bytes waiting for one peer (its link's and its socket's); past it messages are dropped. */
export const PEER_QUEUE_BYTES_MAX = 256 * MiB;
/** Peer addresses kept from Hellos alone (anyone may send one); the oldest is forgotten. */
export const PEER_ANNOUNCED_MAX = 64;
/** Leader changes a node remembers for /cluster and the dashboard; older ones are forgotten. */
export const LEADER_HISTORY_MAX = 20;
/** One-second samples of the node's metrics kept for the dashboard's charts (10 minutes). */
export const METRICS_HISTORY_SAMPLES = 600;
/** Request series (operation and result) one sample keeps; the smallest are summed as other. */
export const METRICS_HISTORY_SERIES_MAX = 32;

assert(APPLY_BATCH_OPS_MAX < WRITE_BATCH_OPS_MAX, "an apply pass fits one engine batch");
assert(
  APPLY_BATCH_OPS_MAX + REDIS_REQUEST_OPS_MAX + 1_000 <= WRITE_BATCH_OPS_MAX,
  "a pass plus one Redis request fits one engine batch",
);
assert(
  APPLY_BATCH_BYTES_MAX + REDIS_REQUEST_BYTES_MIN + 2 * MiB <= WRITE_BATCH_BYTES_MAX,
  "a pass plus a small Redis request's bytes fit one engine batch",
);
assert(
  APPLY_BATCH_BYTES_MAX + VALUE_BYTES_MAX + KEY_BYTES_MAX <= WRITE_BATCH_BYTES_MAX,
  "apply batch",
);
assert(
  2 * (KV_VALUE_BYTES_MAX + 64 + 3 * KV_KEY_BYTES_MAX) + 64 * KiB <= WRITE_BATCH_BYTES_MAX,
  "one largest put (current and history records) fits an engine batch",
);
assert(LEASE_REVOKES_INFLIGHT_MAX <= PROPOSALS_PENDING_MAX, "expiry leaves room for writes");
assert(LEASE_TTL_SECONDS_MAX * 1000 <= Number.MAX_SAFE_INTEGER, "a TTL in ms is exact");
assert(2 * KEY_EXPIRE_AT_MS_MAX <= Number.MAX_SAFE_INTEGER, "now + the longest TTL is exact");
assert(SCAN_LIMIT_DEFAULT <= SCAN_LIMIT_MAX, "default scan page within the maximum");
assert(CLIENT_INFLIGHT_MAX <= SESSION_RESULTS_MAX, "every in-flight write fits the dedup window");
assert(L0_FILES_COMPACTION_TRIGGER < L0_FILES_SLOWDOWN, "L0 compaction must start before slowdown");
assert(L0_FILES_SLOWDOWN < L0_FILES_STOP, "L0 slowdown must trigger before stop");
assert(MEMTABLE_BYTES_MIN <= MEMTABLE_BYTES_MAX, "memtable bounds");
assert(TABLE_FILE_BYTES_TARGET <= LEVEL1_BYTES_MAX, "a table must fit in level 1");
assert(
  VALUE_BYTES_MAX + KEY_BYTES_MAX <= WRITE_BATCH_BYTES_MAX,
  "one max-size put must fit in a batch",
);
assert(VALUE_BYTES_MAX < FRAME_BYTES_MAX, "a max-size value must fit in one frame");
assert(FRAME_BYTES_MAX < 2 ** 32, "frame length must fit the u32 prefix");
assert(RAFT_MSG_BYTES_MAX <= RAFT_UNCOMMITTED_BYTES_MAX, "one append fits the uncommitted budget");
assert(VALUE_BYTES_MAX <= RAFT_UNCOMMITTED_BYTES_MAX, "one max-size proposal must be admissible");
assert(SNAPSHOT_CHUNK_BYTES < FRAME_BYTES_MAX, "a snapshot chunk must fit in one frame");
assert(
  2 + 2 * REDIS_COLLECTION_KEY_BYTES_MAX + 14 + REDIS_MEMBER_BYTES_MAX <= KEY_BYTES_MAX,
  "a Redis member's engine key fits (its collection's key escaped at worst doubles)",
);
assert(RESP_BULK_BYTES_MAX >= VALUE_BYTES_MAX, "RESP must carry a max-size value");
assert(RESP_BULK_BYTES_MAX + KEY_BYTES_MAX <= RESP_COMMAND_BYTES_MAX, "SET of a max value fits");
assert(WATCH_RESPONSE_BYTES_MAX < FRAME_BYTES_MAX, "a merged watch response fits a frame");
assert(WATCH_BUFFER_BYTES_MAX <= CONN_WRITE_QUEUE_BYTES_MAX, "a full watch buffer fits a socket");
assert(WATCHES_PER_CONNECTION_MAX <= WATCHES_PER_NODE_MAX, "watch limits");
