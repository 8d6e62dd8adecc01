/**
 * Contenders for the examples' tests: each its own client (all three nodes as endpoints) and its
 * own session, as separate processes would have; `kill` ends one as a crash would.
 */
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { Session } from "../../examples/session.ts";
import { FAST_ELECTIONS, type TestCluster } from "../server/cluster_helpers.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The in-process cluster's longest election timeout (timeouts are drawn from [E, 2E)). */
export const ELECTION_MAX_MS = 2 * FAST_ELECTIONS.electionTicks * FAST_ELECTIONS.tickMs;
/** The sessions' TTL: short, so that a dead holder's lock goes quickly. */
export const TTL_SECONDS = 2;

export interface Contender {
  readonly client: TinyKvClient;
  readonly session: Session;
  /** Stops its keep-alives and closes its client, as a crashed process would. */
  kill(): void;
}

export async function contender(c: TestCluster, ttlSeconds = TTL_SECONDS): Promise<Contender> {
  const client = c.client();
  const session = await Session.open(client, ttlSeconds);
  return {
    client,
    session,
    kill() {
      session.abandon();
      client.close();
    },
  };
}

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 20_000) {
  for (const start = Date.now(); !check();) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Stops the Raft leader; resolves with its id once the others have elected a new one. */
export async function killLeader(c: TestCluster): Promise<number> {
  const old = await c.leader();
  await c.stop(old);
  const next = await c.leader();
  if (next === old) throw new Error(`node ${old} still leads after it stopped`);
  return old;
}
