/** Bounds added for security and operations (issue 13); docs/limits.md documents each. */
const KiB = 1024;

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

// ---- Background work on the serving thread (issue 14: growth and stalls) ----
/**
 * Engine entries (history records and key index entries) one slice of history compaction
 * examines before it writes its deletes and yields the event loop for a timer turn.
 */
export const HISTORY_COMPACT_SLICE_ENTRIES = 1024;
