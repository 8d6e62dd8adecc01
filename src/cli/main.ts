/**
 * The `tinykv` command: turns argv into an action and an exit code
 * (0 success, 1 runtime error, 2 usage error; errors are one line on stderr).
 */
import { TinyKvError } from "../client/errors.ts";
import { parseArgs } from "../platform/args.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { errorMessage } from "../util/errors.ts";
import { VERSION } from "../version.ts";
import { ADMIN_COMMANDS, runAdminCommand } from "./admin_commands.ts";
import { runAuthCommand } from "./auth_commands.ts";
import { endpointsOf, runClientCommand, runLease } from "./client_commands.ts";
import { COMMAND_HELP, MAIN_HELP } from "./help.ts";
import { localCluster } from "./local_cluster.ts";
import { serve } from "./serve.ts";
import { runSimCommand } from "./sim_command.ts";
import { withClientTls } from "./tls_flags.ts";
import { UsageError } from "./usage_error.ts";

const SERVE_OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  id: { type: "string" },
  peers: { type: "string" },
  "data-dir": { type: "string" },
  "http-port": { type: "string" },
  "resp-port": { type: "string" },
  "read-mode": { type: "string" },
  "auto-compact-revisions": { type: "string" },
  "auto-compact-age": { type: "string" },
  "cluster-token": { type: "string" },
  "admin-token": { type: "string" },
  join: { type: "boolean" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  "slow-request-ms": { type: "string" },
  "region-split-bytes": { type: "string" },
  "region-split-load": { type: "string" },
  "region-merge-bytes": { type: "string" },
  "auth-file": { type: "string" },
  "http-admin-open": { type: "boolean" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-client-auth": { type: "boolean" },
  "storage-worker": { type: "string" },
  zone: { type: "string" },
  replicas: { type: "string" },
  "replace-timeout": { type: "string" },
  "placement-heartbeat": { type: "string" },
} as const;

const CLIENT_OPTIONS = {
  help: { type: "boolean", short: "h" },
  endpoints: { type: "string" },
  limit: { type: "string" },
  offset: { type: "string" },
  nodes: { type: "string" },
  "data-dir": { type: "string" },
  op: { type: "string" },
  concurrency: { type: "string" },
  duration: { type: "string" },
  count: { type: "string" },
  warmup: { type: "string" },
  "value-size": { type: "string" },
  "key-size": { type: "string" },
  keys: { type: "string" },
  "read-ratio": { type: "string" },
  "txn-keys": { type: "string" },
  "txn-near": { type: "boolean" },
  consistency: { type: "string" },
  json: { type: "boolean" },
  learner: { type: "boolean" },
  "admin-token": { type: "string" },
  timeout: { type: "string" },
  revision: { type: "string" },
  lease: { type: "string" },
  ttl: { type: "string" },
  "from-revision": { type: "string" },
  "prev-kv": { type: "boolean" },
  user: { type: "string" },
  password: { type: "string" },
  "password-stdin": { type: "boolean" },
  "base-port": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const;

/** `tinykv lease …`: `--keys` is a switch here (a count for bench). */
const LEASE_OPTIONS = {
  help: { type: "boolean", short: "h" },
  endpoints: { type: "string" },
  json: { type: "boolean" },
  keys: { type: "boolean" },
  user: { type: "string" },
  password: { type: "string" },
  "password-stdin": { type: "boolean" },
  timeout: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const;

/** `tinykv user|role|auth …`: edit an auth file offline, print a token. */
const AUTH_OPTIONS = {
  help: { type: "boolean", short: "h" },
  "auth-file": { type: "string" },
  roles: { type: "string" },
  read: { type: "string", multiple: true },
  write: { type: "string", multiple: true },
  readwrite: { type: "string", multiple: true },
  admin: { type: "boolean" },
  replace: { type: "boolean" },
  iterations: { type: "string" },
  json: { type: "boolean" },
  user: { type: "string" },
  password: { type: "string" },
  "password-stdin": { type: "boolean" },
  endpoints: { type: "string" },
} as const;
const AUTH_COMMANDS: ReadonlySet<string> = new Set(["user", "role", "auth"]);

const CLIENT_COMMANDS = new Set([
  "put",
  "get",
  "delete",
  "scan",
  "status",
  "bench",
  "txn",
  "compact",
  "watch",
  "regions",
]);
const ADMIN: ReadonlySet<string> = new Set(ADMIN_COMMANDS);

/** Runs the CLI; resolves with the process exit code. */
export async function runCli(
  argv: readonly string[],
  host: ProcessHost,
  platform: () => Platform,
): Promise<number> {
  try {
    return await dispatch(argv, host, platform);
  } catch (err) {
    if (err instanceof UsageError) {
      host.writeStderr(`tinykv: ${err.message}. See 'tinykv --help'.\n`);
      return 2;
    }
    const hint = err instanceof TinyKvError && err.outcomeUnknown ? " (outcome unknown)" : "";
    host.writeStderr(`tinykv: ${errorMessage(err)}${hint}\n`);
    return 1;
  }
}

function parse<
  T extends
    | typeof SERVE_OPTIONS
    | typeof CLIENT_OPTIONS
    | typeof LEASE_OPTIONS
    | typeof AUTH_OPTIONS,
>(
  argv: readonly string[],
  options: T,
  positionals: boolean,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/\.$/, "").split(". To specify")[0]);
  }
}

async function dispatch(
  argv: readonly string[],
  host: ProcessHost,
  platform: () => Platform,
): Promise<number> {
  const first = argv[0];
  if (first === "sim") return await runSimCommand(argv.slice(1), host, platform().clock);
  if (first === "lease") {
    const { values, positionals } = parse(argv.slice(1), LEASE_OPTIONS, true);
    if (values.help) {
      host.writeStdout(COMMAND_HELP.lease);
      return 0;
    }
    return await runLease(positionals, values, withClientTls(values, platform()), host);
  }
  if (first !== undefined && AUTH_COMMANDS.has(first)) {
    const { values, positionals } = parse(argv.slice(1), AUTH_OPTIONS, true);
    if (values.help) {
      host.writeStdout(COMMAND_HELP[first]);
      return 0;
    }
    return await runAuthCommand(first, positionals, values, platform(), host);
  }
  if (first !== undefined && !first.startsWith("-")) {
    const known = CLIENT_COMMANDS.has(first) || ADMIN.has(first) || first === "local-cluster";
    if (!known) throw new UsageError(`unknown command '${first}'`);
    const { values, positionals } = parse(argv.slice(1), CLIENT_OPTIONS, true);
    if (values.help) {
      host.writeStdout(COMMAND_HELP[first] ?? MAIN_HELP);
      return 0;
    }
    if (first === "local-cluster") {
      const base = values["base-port"];
      return await localCluster(values.nodes, values["data-dir"], platform(), host, base);
    }
    const client = () => withClientTls(values, platform());
    if (ADMIN.has(first)) {
      const endpoints = endpointsOf(values);
      return await runAdminCommand(first, positionals, values, endpoints, client(), host);
    }
    return await runClientCommand(first, positionals, values, client(), host);
  }
  const { values } = parse(argv, SERVE_OPTIONS, false);
  if (values.help) {
    host.writeStdout(MAIN_HELP);
    return 0;
  }
  if (values.version) {
    host.writeStdout(`tinykv ${VERSION}\n`);
    return 0;
  }
  return await serve(values, platform(), host);
}
