/**
 * Admin commands: `member list|add|remove`, `snapshot`, `transfer-leader`.
 * They go to the leader (the client follows NOT_LEADER redirects) and carry
 * the admin token from --admin-token or TINYKV_ADMIN_TOKEN.
 */
import { type MemberInfo, TinyKvClient } from "../client/tinykv_client.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { parseHostPort, parseNodeId } from "./peers.ts";
import { UsageError } from "./usage_error.ts";
import { clientCredentials, type CredentialFlags } from "./credential_flags.ts";
import { parseDuration } from "./duration.ts";
import { planNodeCommand } from "./node_command.ts";

export const ADMIN_COMMANDS = ["member", "snapshot", "transfer-leader", "node"] as const;

export interface AdminFlags extends CredentialFlags {
  readonly learner?: boolean;
  readonly "admin-token"?: string;
  readonly timeout?: string;
}

const MEMBER_USAGE =
  "usage: tinykv member list | member add ID HOST:PORT [--learner] | member remove ID";

/** A bare number is seconds here (as it always was); durations like 90s or 2m work too. */
function timeoutMs(text: string | undefined): number {
  return text === undefined ? 120_000 : parseDuration(text, "--timeout", "s");
}

function memberTable(members: readonly MemberInfo[], leaderId: number | null): string {
  const rows = [...members].sort((a, b) => a.id - b.id).map((m) => {
    const role = m.id === leaderId ? "leader" : m.learner ? "learner" : "voter";
    return `${String(m.id).padEnd(3)} ${m.address.padEnd(23)} ${role}`;
  });
  return ["ID  ADDRESS                 ROLE", ...rows].join("\n") + "\n";
}

/** Parses the command's arguments first, so usage errors exit 2 before any connection. */
function plan(
  command: string,
  args: readonly string[],
  learnerOnly: boolean,
): (c: TinyKvClient) => Promise<string> {
  const usage = (text: string) => new UsageError(text);
  if (command === "snapshot") {
    if (args.length !== 0) throw usage("usage: tinykv snapshot");
    return async (c) => `snapshot: log compacted to index ${await c.snapshot()}\n`;
  }
  if (command === "transfer-leader") {
    if (args.length !== 1) throw usage("usage: tinykv transfer-leader ID");
    const id = parseNodeId(args[0], "ID");
    return async (c) => {
      await c.transferLeader(id);
      return `node ${id} is the leader\n`;
    };
  }
  const [verb, ...rest] = args;
  if (verb === "list" && rest.length === 0) {
    return async (c) => {
      const s = await c.status();
      return memberTable(s.members, s.leaderId);
    };
  }
  if (verb === "add" && rest.length === 2) {
    const id = parseNodeId(rest[0], "ID");
    const { host, port } = parseHostPort(rest[1], "HOST:PORT");
    return async (c) =>
      memberTable(await c.addMember(id, `${host}:${port}`, { learnerOnly }), null);
  }
  if (verb === "remove" && rest.length === 1) {
    const id = parseNodeId(rest[0], "ID");
    return async (c) => memberTable(await c.removeMember(id), null);
  }
  throw usage(MEMBER_USAGE);
}

export async function runAdminCommand(
  command: string,
  args: readonly string[],
  flags: AdminFlags,
  endpoints: readonly string[],
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  if (flags.learner && !(command === "member" && args[0] === "add")) {
    throw new UsageError("--learner goes with 'member add'");
  }
  const node = command === "node" ? planNodeCommand(args) : undefined;
  const run = node ?? clientRun(plan(command, args, flags.learner === true));
  const deadlineMs = timeoutMs(flags.timeout);
  const options = {
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    deadlineMs,
    attemptTimeoutMs: deadlineMs,
    adminToken: flags["admin-token"] ?? host.env("TINYKV_ADMIN_TOKEN"),
    ...await clientCredentials(flags, host),
  };
  host.writeStdout(await run(options));
  return 0;
}

/** A command on a TinyKvClient made for it (and closed after). */
function clientRun(
  run: (c: TinyKvClient) => Promise<string>,
): (o: ConstructorParameters<typeof TinyKvClient>[0]) => Promise<string> {
  return async (options) => {
    const c = new TinyKvClient(options);
    try {
      return await run(c);
    } finally {
      c.close();
    }
  };
}
