/**
 * The compiled binary with a real full disk: the leader's data directory is
 * moved onto a small tmpfs, which a filler file then fills. The leader keeps
 * running and says "disk full" (in /status, /health and to writes), the other
 * two nodes keep serving, and once the filler is deleted the node catches up
 * with every acknowledged write. Needs root (mount); skipped otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { BINARY, BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const platform = getPlatform();
const TMPFS_SIZE = "8m";

function mount(dir: string): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE}`, "tmpfs", dir], {
    stdio: "ignore",
  });
}

function unmount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "ignore" });
}

/** Why this test cannot run here (no binary, no permission to mount), or undefined. */
function skipReason(): string | undefined {
  if (!fs.existsSync(BINARY)) return `${BINARY} is missing: run bash compile.sh first`;
  try {
    execFileSync("redis-cli", ["--version"], { stdio: "ignore" });
  } catch {
    return "redis-cli is not installed: disk-full e2e test skipped";
  }
  const probe = makeTempDir("tinykv-tmpfs-probe-");
  try {
    mount(probe);
    unmount(probe);
    return undefined;
  } catch {
    return "mounting a tmpfs is not permitted here (needs root): disk-full e2e test skipped";
  } finally {
    removeTempDir(probe);
  }
}

function client(endpoints: string[]): TinyKvClient {
  return new TinyKvClient({
    endpoints,
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    deadlineMs: 15_000,
    attemptTimeoutMs: 1000,
  });
}

/** Fills the file system holding `dir` with a filler file; returns its path. */
function fill(dir: string): string {
  const filler = path.join(dir, "filler");
  const fd = fs.openSync(filler, "w");
  const chunk = new Uint8Array(64 * 1024).fill(1);
  try {
    for (let i = 0; i < 10_000; i++) fs.writeSync(fd, chunk);
  } catch {
    // ENOSPC: full. Then fill the last partial chunk byte by byte, bounded.
    for (let i = 0; i < 64 * 1024; i++) {
      try {
        fs.writeSync(fd, chunk, 0, 1);
      } catch {
        break;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

async function httpJson(port: number, route: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`);
  return { status: res.status, body: await res.json() };
}

async function waitFor(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
}

const reason = skipReason();

test("e2e: the leader's disk fills up; the cluster keeps serving; the node recovers", {
  timeout: 180_000,
  skip: BINARY_ONLY_SKIP || reason,
}, async () => {
  const c = await BinaryCluster.start(3, ["--admin-token", "disk-full-test-admin"]);
  const victim = await c.leader();
  const v = c.nodes.get(victim);
  assert.ok(v !== undefined);
  const aside = makeTempDir("tinykv-aside-");
  let mounted = false;
  const all = client(c.endpoints.split(","));
  try {
    const acked = new Map<string, string>();
    const put = async (k: string, padding = "") => {
      await all.put(k, `value-of-${k}${padding}`);
      acked.set(k, `value-of-${k}${padding}`);
    };
    const diskFull = async () => {
      const s = await httpJson(v.httpPort, "/status");
      return (s.body as { fault?: { kind?: string } | null }).fault?.kind === "disk-full";
    };
    for (let i = 0; i < 50; i++) await put(`before-${i}`);
    // Move the leader's data directory onto a small tmpfs.
    await c.kill(victim, "SIGTERM");
    fs.cpSync(v.dataDir, aside, { recursive: true });
    fs.rmSync(v.dataDir, { recursive: true, force: true });
    fs.mkdirSync(v.dataDir);
    mount(v.dataDir);
    mounted = true;
    fs.cpSync(aside, v.dataDir, { recursive: true });
    c.spawn(victim);
    for (let i = 0; i < 20; i++) await put(`tmpfs-${i}`);
    // Make it the leader again, so the full disk hits the leader.
    const leader = await c.leader();
    if (leader !== victim) {
      const port = c.nodes.get(leader)?.httpPort ?? 0;
      const res = await fetch(`http://127.0.0.1:${port}/admin/transfer-leader/${victim}`, {
        method: "POST",
        headers: c.adminHeaders(),
      });
      assert.equal(res.status, 200, await res.text());
    }
    assert.equal(await c.leader(), victim);
    const filler = fill(v.dataDir);
    // The cluster keeps accepting writes while the node's disk is full. The
    // node's Raft log first uses the zeros it wrote ahead (up to 1 MiB), so it
    // takes a few hundred 4 KiB values before the node needs new space.
    const padding = "p".repeat(4096);
    for (let i = 0; i < 2000 && (i % 20 !== 0 || !(await diskFull())); i++) {
      await put(`full-${i}`, padding);
    }
    await waitFor("the node reports disk-full", 20_000, diskFull);
    assert.equal(v.proc?.exitCode, null, "the node stays up");
    assert.equal((await httpJson(v.httpPort, "/health")).status, 503);
    // Asked directly (RESP), the node answers at once and clearly; the write never happened.
    const answer = execFileSync("redis-cli", ["-p", String(v.respPort), "SET", "direct", "x"], {
      encoding: "utf8",
    });
    assert.match(answer, /TRYAGAIN the command was not applied: disk full/);
    // Space returns: the node catches up.
    fs.rmSync(filler);
    for (let i = 0; i < 20; i++) await put(`after-${i}`);
    await waitFor("the node's fault clears and it catches up", 60_000, async () => {
      const s = (await httpJson(v.httpPort, "/status")).body as {
        fault: unknown;
        appliedIndex: number;
      };
      const leader = await c.leader();
      const l = (await httpJson(c.nodes.get(leader)?.httpPort ?? 0, "/status")).body as {
        commitIndex: number;
      };
      return s.fault === null && s.appliedIndex >= l.commitIndex;
    });
    const local = client([`127.0.0.1:${v.kvPort}`]);
    for (const [k, value] of acked) {
      const got = await local.get(k, { consistency: "serializable" });
      assert.equal(got === undefined ? undefined : fromUtf8(got), value, k);
    }
    local.close();
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${c.logs()}`);
  } finally {
    all.close();
    for (const id of c.nodes.keys()) await c.kill(id, "SIGKILL");
    if (mounted) unmount(v.dataDir);
    await c.stop();
    removeTempDir(aside);
  }
});
