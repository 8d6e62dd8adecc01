/**
 * The `tinykv` command: turns argv into an action and an exit code
 * (0 success, 1 runtime error, 2 usage error; errors are one line on stderr).
 */
import { parseArgs } from "../platform/args.ts";
import type { ProcessHost } from "../platform/types.ts";
import { errorMessage } from "../util/errors.ts";
import { VERSION } from "../version.ts";
import { MAIN_HELP } from "./help.ts";
import { parseNodeId, parsePeers, parsePort } from "./peers.ts";
import { UsageError } from "./usage_error.ts";

const COMMANDS = new Set([
  "put",
  "get",
  "delete",
  "scan",
  "status",
  "member",
  "bench",
  "local-cluster",
]);

const SERVE_OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  id: { type: "string" },
  peers: { type: "string" },
  "data-dir": { type: "string" },
  "http-port": { type: "string" },
  "resp-port": { type: "string" },
} as const;

/** Runs the CLI; returns the process exit code. */
export function runCli(argv: readonly string[], host: ProcessHost): number {
  try {
    return dispatch(argv, host);
  } catch (err) {
    if (err instanceof UsageError) {
      host.writeStderr(`tinykv: ${err.message}. See 'tinykv --help'.\n`);
      return 2;
    }
    host.writeStderr(`tinykv: ${errorMessage(err)}\n`);
    return 1;
  }
}

function dispatch(argv: readonly string[], host: ProcessHost): number {
  const first = argv[0];
  if (first !== undefined && COMMANDS.has(first)) {
    if (argv.includes("--help") || argv.includes("-h")) {
      host.writeStdout(MAIN_HELP);
      return 0;
    }
    throw new Error(`'${first}' is not available in this build yet`);
  }
  if (first !== undefined && !first.startsWith("-")) {
    throw new UsageError(`unknown command '${first}'`);
  }
  const { values } = parse(argv);
  if (values.help) {
    host.writeStdout(MAIN_HELP);
    return 0;
  }
  if (values.version) {
    host.writeStdout(`tinykv ${VERSION}\n`);
    return 0;
  }
  if (values.id !== undefined) parseNodeId(values.id, "--id");
  if (values.peers !== undefined) parsePeers(values.peers);
  if (values["http-port"] !== undefined) parsePort(values["http-port"], "--http-port");
  if (values["resp-port"] !== undefined) parsePort(values["resp-port"], "--resp-port");
  throw new Error("running a node is not available in this build yet");
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: SERVE_OPTIONS,
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/\.$/, ""));
  }
}
