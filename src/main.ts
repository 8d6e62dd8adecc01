/**
 * The binary's entry point and composition root: picks the platform adapter,
 * runs the CLI and exits with its code.
 */
import { runCli } from "./cli/main.ts";
import { getPlatform, getProcessHost } from "./platform/detect.ts";

const host = getProcessHost();
host.exit(await runCli(host.argv(), host, getPlatform));
