/** Help texts for the `tinykv` command (the contract in docs/design.md §3). */
import { VERSION } from "../version.ts";

export const MAIN_HELP = `tinykv ${VERSION} — a small distributed key-value store

Usage:
  tinykv [--id N --peers ID=HOST:PORT,...] [--data-dir DIR]
         [--http-port P] [--resp-port P] [--read-mode linearizable|lease]
         [--auto-compact-revisions N] [--auto-compact-age SECONDS]
         [--auth-file FILE]
                                                  run a node (default: single node 1 on
                                                  127.0.0.1:7001, data in ./data,
                                                  HTTP 8001, RESP 6379)
  tinykv put KEY VALUE [--lease ID] [--ttl S]     client commands
  tinykv get KEY [--revision R] [--json]
  tinykv delete KEY
  tinykv scan [PREFIX] [--limit N] [--offset N] [--revision R] [--json]
  tinykv txn < TXN.json                           compare-then-write atomically, JSON result
  tinykv compact REV                              forget the history below revision REV
  tinykv watch PREFIX [--from-revision R] [--prev-kv] [--json]
                                                  print changes under PREFIX until interrupted
  tinykv status [--json]                          every member: role, term, indexes, lag, health
  tinykv regions [--json]                         regions: range, size, leader, replicas, zones
  tinykv local-cluster [--nodes 3] [--data-dir DIR] [--base-port P]
                                                  a local cluster in one process
  tinykv bench [--op put|get|mixed|txn] [--concurrency N] [--duration S]
               [--value-size B] [--keys N] [--json]   load test through the client
  tinykv lease grant TTL | revoke ID | keep-alive ID | list [--json] | time-to-live ID [--keys]
                                                  leases: keys that vanish with their holder
  tinykv member list                              members and their roles
  tinykv member add ID HOST:PORT [--learner]      add a node (start it first with --join)
  tinykv member remove ID                         remove a node (the leader hands off first)
  tinykv transfer-leader ID                       make node ID the leader
  tinykv snapshot                                 compact the leader's Raft log now
  tinykv node drain ID                            mark node ID draining (placement moves its
                                                  replicas off before it is removed)
  tinykv user add|passwd|set-roles|remove|list NAME --auth-file FILE [--roles R1,R2]
                                                  edit users in an auth file (offline)
  tinykv role add|remove|list NAME --auth-file FILE [--read P]... [--write P]...
              [--readwrite P]... [--admin]        edit roles in an auth file (offline)
  tinykv auth token --user U [--auth-file FILE]   print a token for HTTP bearer use
  tinykv sim [--seeds N] [--seed S] [--nodes 3|5] [--faults K,...] [--trace]
                                                  whole nodes under simulated faults, by seed

Options:
  -h, --help       show help (also after a command: tinykv put --help)
  -V, --version    print the version
  --cluster-token T  peers must present T (also TINYKV_CLUSTER_TOKEN)
  --admin-token T    admin requests need it (also TINYKV_ADMIN_TOKEN)
  --http-admin-open  HTTP admin routes need no credential (only without --admin-token
                     and --auth-file; by default they are refused without one)
  --join             start a node that waits to be added with 'member add' (no bootstrap)
  --log-format text|json  the node's log lines on stderr (default text; docs/logging.md)
  --log-level L      debug, info (default), warn or error
  --slow-request-ms N  log client requests slower than N ms (default 500; 0: off)
  --storage-worker on|off  flush and compact on a background thread (default on)
  --zone NAME        this node's zone (placement spreads a region's replicas over zones)
  --replicas N       replicas per region the placement service keeps (default 3)
  --replace-timeout D  a node silent this long is down and its replicas are replaced
                     (default 30m; 90s, 2m, a bare number is seconds; at most 24 h)
  --placement-heartbeat D  interval of the heartbeat to placement and of its scheduler
                     (default 10s; 500ms, 2s, a bare number is ms; 10 ms to 60 s)
  --region-split-bytes N  split a region past N bytes (0: never). Default 268435456 (256 MiB)
                          for a new cluster; a data directory that ran one region keeps
                          running one until given N above 0; one that split splits for good
                          (docs/regions.md)
  --region-merge-bytes N  merge adjacent regions of N bytes together at most (0: never;
                          default a quarter of the split size; at most half of it)
  --region-split-load N   split a region written more than N times a second (over 10 s)
                          where its writes halve (0, the default: never; needs splitting on)
  --tls-cert FILE --tls-key FILE
                     TLS on the protobuf and RESP ports, HTTPS on the HTTP port; to peers too
  --tls-ca FILE      peers must present a certificate this CA signed (mutual TLS)
  --tls-client-auth  every client of every port must present one too (needs --tls-ca)
                     SIGHUP re-reads the three files (docs/tls.md)

Client commands take --endpoints HOST:PORT,... (default 127.0.0.1:7001; --base-port P:
127.0.0.1:P+1, node 1 of 'local-cluster --base-port P') and --timeout (how long to keep
trying: 500ms, 2s, 1m; a bare number is ms; default 10s, status 2s per member). On a
cluster with users: --user U with TINYKV_PASSWORD (or --password P, which other users of
the machine can see in the process list; TINYKV_USER also works).
For TLS: --tls-ca FILE (the CA to trust) and --tls-cert FILE --tls-key FILE (a client
certificate).
Exit codes: 0 success, 1 runtime error, 2 usage error.
`;

export const COMMAND_HELP: Record<string, string> = {
  put: "Usage: tinykv put KEY VALUE [--lease ID] [--ttl SECONDS] [--endpoints HOST:PORT,...]\n" +
    "Stores VALUE at KEY. --lease attaches the key to lease ID: it is deleted when the lease\n" +
    "ends. Exits 1 with LEASE_NOT_FOUND when the lease does not exist. --ttl: the key expires\n" +
    "SECONDS after the write (Redis SET EX); without it a put clears any expiry.\n",
  get: "Usage: tinykv get KEY [--revision R] [--json] [--endpoints HOST:PORT,...]\n" +
    "Prints the value (linearizable read); exits 1 if the key does not exist.\n" +
    "--revision R: the key as it was at store revision R (COMPACTED when R is below the\n" +
    "compacted revision, FUTURE_REVISION when past the current one). --json prints\n" +
    '{"key","value","createRevision","modRevision","version","lease","expireAtMs"}\n' +
    "(expireAtMs: Unix ms, 0 for no expiry).\n",
  delete: "Usage: tinykv delete KEY [--endpoints HOST:PORT,...]\n",
  scan: "Usage: tinykv scan [PREFIX] [--limit N] [--offset N] [--revision R] [--json]\n" +
    "  [--endpoints HOST:PORT,...]\n" +
    "Prints KEY<TAB>VALUE lines in key order (default limit 100), as of store revision R\n" +
    'when given. --json prints one object: {"revision","items":[{"key","value",\n' +
    '"createRevision","modRevision","version","lease"},...]}.\n',
  txn: "Usage: tinykv txn [--endpoints HOST:PORT,...] < TXN.json\n" +
    "Reads a transaction as JSON on stdin and prints its result as JSON:\n" +
    '  {"compare":[{"key":"k","target":"value","result":"=","value":"v"},\n' +
    '              {"key":"k","target":"modRevision","result":"<","number":9}],\n' +
    '   "success":[{"put":{"key":"k","value":"v2","lease":0}}],\n' +
    '   "failure":[{"range":{"key":"k"}},{"delete":{"key":"a","rangeEnd":"b"}}]}\n' +
    "targets: value, version, createRevision, modRevision, lease; results: = != > <.\n" +
    "If every compare holds, the success operations run, else the failure ones, atomically\n" +
    'at one revision. Prints {"succeeded","revision","results":[...]}. Malformed JSON:\n' +
    "exit 2. See docs/coordination.md#transactions.\n",
  compact: "Usage: tinykv compact REV [--endpoints HOST:PORT,...]\n" +
    "Forgets the history below store revision REV: reads and watches below it then fail\n" +
    "with COMPACTED. REV past the current revision: FUTURE_REVISION.\n",
  watch: "Usage: tinykv watch PREFIX [--from-revision R] [--prev-kv] [--json] " +
    "[--endpoints HOST:PORT,...]\n" +
    "Prints every change to a key under PREFIX, in revision order, until interrupted (Ctrl-C).\n" +
    "From revision R when given (it may be in the past, unless compacted), else from now.\n" +
    "Text: one line per change, 'REVISION PUT KEY = VALUE' or 'REVISION DELETE KEY'.\n" +
    '--json: one object per line, {"type":"put"|"delete","key","value","revision"}.\n' +
    "--prev-kv: each change also shows the value before it (JSON: prevValue, null if none).\n" +
    "The watch moves to another endpoint when its node goes away and misses nothing;\n" +
    "exits 1 if the revision to resume from was compacted.\n",
  status: "Usage: tinykv status [--json] [--endpoints HOST:PORT,...]\n" +
    "Asks every member for its own status over its protobuf port and prints one row each:\n" +
    "  ID ADDRESS ROLE TERM COMMIT APPLIED LAG HEALTH\n" +
    "LAG: entries between the leader's commit index and the member's applied index.\n" +
    "HEALTH: ok, catching-up (applied < its commit), no-leader, or unreachable (with why).\n" +
    "The member list comes from the first endpoint that answers. --json prints the rows as\n" +
    "JSON. Exits 0 when a table was printed (check HEALTH), 1 when no endpoint answered\n" +
    "or the node asked is not a member of its cluster (removed, or waiting to be added).\n" +
    "The header ends with the cluster id (the data directories' IDENTITY). A last line sums\n" +
    "up the regions (count, leaders per node, size, keys; JSON: regions).\n",
  regions: "Usage: tinykv regions [--json] [--endpoints HOST:PORT,...]\n" +
    "Lists every region in key order, as the node asked knows them:\n" +
    "  ID RANGE SIZE KEYS LEADER REPLICAS ZONES\n" +
    'RANGE is ["start", "end") with printable bytes as is, others as \\xNN, +inf for no end.\n' +
    "SIZE and KEYS are estimates. --json: one object per region per line, as GET /regions.\n",
  bench: "Usage: tinykv bench [--op put|get|mixed|txn] [--concurrency 16] [--duration 10] " +
    "[--count N] [--warmup 0]\n" +
    "  [--value-size 100] [--key-size 16] [--keys 10000] [--read-ratio 50] [--txn-keys 3] " +
    "[--txn-near]\n" +
    "  [--consistency linearizable|lease|serializable] [--json] [--endpoints HOST:PORT,...]\n" +
    "Closed-loop load; prints progress each second, then ops/s, latency p50/p95/p99/p99.9/max " +
    "and errors.\n" +
    "--warmup S: the same load runs S seconds first, not counted (the client compiles its hot " +
    "code).\n" +
    "--op txn: each operation one txn putting --txn-keys keys, at random (across regions on " +
    "nodes\nthat split) or consecutive with --txn-near (mostly within one region).\n",
  member: "Usage: tinykv member list | member add ID HOST:PORT [--learner] | member remove ID\n" +
    "  [--endpoints HOST:PORT,...] [--admin-token T] [--timeout SECONDS|2m (default 120)]\n" +
    "add: start the new node first with --join and a --peers listing the cluster and itself;\n" +
    "it joins as a learner, catches up (by snapshot if needed) and is promoted to voter\n" +
    "through joint consensus once caught up (--learner: stop after joining). On nodes that\n" +
    "split, region 1 keeps --replicas voters: a member added past that stays a learner until\n" +
    "placement gives it a down or draining voter's vote. remove: through joint consensus;\n" +
    "removing the leader first transfers leadership. A change that would leave no reachable\n" +
    "quorum is refused. Prints the membership afterwards.\n",
  "transfer-leader": "Usage: tinykv transfer-leader ID [--endpoints HOST:PORT,...] " +
    "[--admin-token T]\nMoves leadership to voter ID and waits until it leads.\n",
  node: "Usage: tinykv node drain ID [--endpoints HOST:PORT,...] [--admin-token T]\n" +
    "Marks node ID draining in the placement service: the regions' leaders move every\n" +
    "replica off it (progress in /placement), its vote in region 1 goes to another member,\n" +
    "and placement refuses to remove a node that still holds replicas.\n",
  snapshot: "Usage: tinykv snapshot [--endpoints HOST:PORT,...] [--admin-token T]\n" +
    "Makes the leader's applied state durable and compacts its Raft log up to it.\n",
  lease: "Usage: tinykv lease grant TTL | keep-alive ID | revoke ID | list [--json] |\n" +
    "  time-to-live ID [--keys]   [--endpoints HOST:PORT,...]\n" +
    "grant: grants a lease of TTL seconds (raised to the cluster's minimum) and prints its id.\n" +
    "keep-alive: keeps it alive until interrupted, printing each remaining TTL; exits 1 when\n" +
    "the lease is gone. revoke: deletes the lease and every key attached to it.\n" +
    "list: every lease (ID, granted TTL, time left). time-to-live: one lease (--keys: its keys).\n",
  user: "Usage: tinykv user add NAME --auth-file FILE [--roles R1,R2] [--password-stdin]\n" +
    "       tinykv user passwd NAME --auth-file FILE [--password-stdin]\n" +
    "       tinykv user set-roles NAME --roles R1,R2 --auth-file FILE\n" +
    "       tinykv user remove NAME --auth-file FILE | user list --auth-file FILE [--json]\n" +
    "Edits the auth file offline (created with a tokenSecret by the first add), replacing it\n" +
    "atomically; copy it to every node and send them SIGHUP. The password comes from stdin\n" +
    "(--password-stdin, one line) or TINYKV_PASSWORD. --iterations N: PBKDF2 cost (default\n" +
    "600000). Changing a password or removing a user revokes that user's tokens.\n",
  role: "Usage: tinykv role add NAME --auth-file FILE [--read PREFIX]... [--write PREFIX]...\n" +
    "         [--readwrite PREFIX]... [--admin] [--replace]\n" +
    "       tinykv role remove NAME --auth-file FILE | role list --auth-file FILE [--json]\n" +
    "A role grants read, write or both on keys starting with each PREFIX ('' is every key);\n" +
    "--admin adds membership, snapshots, compaction and every key. --replace changes an\n" +
    "existing role. A role still held by a user cannot be removed.\n",
  auth: "Usage: tinykv auth token --user U [--auth-file FILE | --endpoints HOST:PORT,...]\n" +
    "Prints a token for 'Authorization: Bearer' (valid one hour). With --auth-file it is\n" +
    "signed with the file's tokenSecret; otherwise the CLI logs in to a node with the\n" +
    "password from TINYKV_PASSWORD (or --password-stdin).\n",
  "local-cluster": "Usage: tinykv local-cluster [--nodes 3] [--data-dir DIR] [--base-port P]\n" +
    "Starts N nodes in one process on 127.0.0.1 (protobuf 7001+, HTTP 8001+, RESP 6379+;\n" +
    "with --base-port P: protobuf P+1+, HTTP P+101+, RESP P+201+).\n",
};
