/**
 * COMMAND DOCS: for each command its group, the Redis version that added it
 * and a one-line summary in TinyKV's words. redis-cli builds its hints and
 * `help` from this; arguments are left out (Redis leaves them out too for
 * commands without any), so hints show the command name only. A command of
 * the Redis table without an entry here gets the generic one.
 */

export interface CommandDoc {
  readonly group: string;
  readonly since: string;
  readonly summary: string;
}

const DOCS: Record<string, [string, string, string]> = {
  // connection
  ping: ["connection", "1.0.0", "Check that the node answers."],
  echo: ["connection", "1.0.0", "Reply with the given message."],
  hello: ["connection", "6.0.0", "Pick the protocol version and describe the server."],
  auth: ["connection", "1.0.0", "Log in as a user of the node's auth file."],
  acl: ["server", "6.0.0", "Who this connection is logged in as; the node's users."],
  quit: ["connection", "1.0.0", "Close the connection."],
  reset: ["connection", "6.2.0", "Return the connection to its initial state."],
  select: ["connection", "1.0.0", "Choose the database this connection uses."],
  client: ["connection", "2.4.0", "Inspect and manage connections."],
  // server
  info: ["server", "1.0.0", "Node, replication and keyspace facts."],
  time: ["server", "2.6.0", "The node's clock."],
  lastsave: ["server", "1.0.0", "When data was last saved (always now on TinyKV)."],
  save: ["server", "1.0.0", "Save data (TinyKV saves every write)."],
  bgsave: ["server", "1.0.0", "Save data in the background (TinyKV saves every write)."],
  debug: ["server", "1.0.0", "Debugging helpers (SLEEP only)."],
  command: ["server", "2.8.13", "Describe the commands the node answers."],
  config: ["server", "2.0.0", "Read and change configuration parameters."],
  dbsize: ["server", "1.0.0", "The number of keys in the selected database."],
  flushdb: ["server", "1.0.0", "Delete every key of the selected database."],
  flushall: ["server", "1.0.0", "Delete every key of every database."],
  // generic
  wait: ["generic", "3.0.0", "Wait until replicas hold this connection's writes."],
  del: ["generic", "1.0.0", "Delete keys."],
  unlink: ["generic", "4.0.0", "Delete keys."],
  exists: ["generic", "1.0.0", "Count the given keys that exist."],
  type: ["generic", "1.0.0", "The type of the value at a key."],
  scan: ["generic", "2.8.0", "Iterate over the keys of the selected database."],
  keys: ["generic", "1.0.0", "Keys matching a pattern."],
  object: ["generic", "2.2.3", "Inspect stored values (HELP only)."],
  // transactions
  multi: ["transactions", "1.2.0", "Start a transaction."],
  exec: ["transactions", "1.2.0", "Run the queued transaction atomically."],
  discard: ["transactions", "2.0.0", "Drop the queued transaction."],
  watch: ["transactions", "2.2.0", "Make the next EXEC depend on keys staying unchanged."],
  unwatch: ["transactions", "2.2.0", "Forget every watched key."],
  // string
  get: ["string", "1.0.0", "The string value of a key."],
  mget: ["string", "1.0.0", "The values of several keys."],
  strlen: ["string", "2.2.0", "The length of a string value."],
  incr: ["string", "1.0.0", "Add one to an integer value."],
  decr: ["string", "1.0.0", "Subtract one from an integer value."],
  incrby: ["string", "1.0.0", "Add to an integer value."],
  decrby: ["string", "1.0.0", "Subtract from an integer value."],
  append: ["string", "2.0.0", "Append to a string value."],
  set: ["string", "1.0.0", "Set the string value of a key."],
  setnx: ["string", "1.0.0", "Set a key only if it does not exist."],
  setex: ["string", "2.0.0", "Set a key with an expiry in seconds."],
  psetex: ["string", "2.6.0", "Set a key with an expiry in milliseconds."],
  getset: ["string", "1.0.0", "Set a key and return its old value."],
  mset: ["string", "1.0.1", "Set several keys at once."],
  msetnx: ["string", "1.0.1", "Set several keys only if none exists."],
};

const GENERIC: CommandDoc = { group: "generic", since: "1.0.0", summary: "See docs/resp.md." };

export function docOf(name: string): CommandDoc {
  const d = Object.hasOwn(DOCS, name) ? DOCS[name] : undefined;
  return d === undefined ? GENERIC : { group: d[0], since: d[1], summary: d[2] };
}
