/**
 * What a 3-node cluster's nodes allocate per put, and where: runs three nodes from source under
 * Deno with the V8 inspector on, warms them with puts, then takes a sampling heap profile of each
 * node (objects collected by the young- and old-generation GC included) while the compiled
 * `./tinykv bench` client drives puts, and prints bytes allocated per put for each node and the
 * allocation sites that account for most of the leader's and a follower's bytes.
 *
 *   deno run -A bench/alloc_probe.ts [--concurrency 1] [--seconds 5] [--warmup 3] [--top 25]
 *     [--interval 1024] [--op put|get|idle]
 *
 * V8's allocation profile stands in for Bun's (JSC has no sampling allocation profiler reachable
 * here): the same code allocates the same objects, so the sites and their order carry over, the
 * byte counts only roughly. `--interval` is the mean bytes between samples.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import { type BenchRun, runBench } from "./binary_cluster_stats.ts";

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "1" },
    seconds: { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "1024" },
    op: { type: "string", default: "put" },
  },
});
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const INSPECT_BASE = 9_300;

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** A wrapper the cluster runs as its binary: the node from source, inspector on 9300 + id. */
function wrapper(): string {
  const file = path.join(fs.mkdtempSync("/tmp/tinykv-alloc-"), "node.sh");
  const deno = path.join(ROOT, "node_modules/.bin/deno");
  fs.writeFileSync(
    file,
    `#!/bin/bash\nid=0; prev=""\nfor a in "$@"; do [ "$prev" = "--id" ] && id=$a; prev=$a; done\n` +
      `exec ${deno} run -A --inspect=127.0.0.1:$((${INSPECT_BASE} + id)) ${ROOT}/src/main.ts "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

/** One DevTools protocol session with node `id`'s inspector. */
class Inspector {
  #next = 1;
  readonly #waiting = new Map<number, (v: Record<string, unknown>) => void>();
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as { id?: number; result?: Record<string, unknown> };
      if (m.id !== undefined) this.#waiting.get(m.id)?.(m.result ?? {});
    };
  }

  static async open(id: number): Promise<Inspector> {
    const list = await fetch(`http://127.0.0.1:${INSPECT_BASE + id}/json/list`);
    const [target] = await list.json() as { webSocketDebuggerUrl: string }[];
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Inspector(ws);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }
}

/** Self bytes per call site ("function file:line"), summed over the profile's tree. */
function bySite(head: ProfileNode): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.replace(/^file:\/\//, "").replace(ROOT + "/", "");
    const site = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    out.set(site, (out.get(site) ?? 0) + n.selfSize);
    n.children.forEach(walk);
  };
  walk(head);
  return out;
}

async function idle(seconds: number): Promise<BenchRun> {
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { ops: seconds, opsPerSecond: 1, latencyMs: { p50: 0, p99: 0 }, errors: {} };
}

const c = await BinaryCluster.start(3, [], wrapper());
try {
  const leader = await c.leader(30_000);
  const warm = ["--op", "put", "--concurrency", "16", "--value-size", "100", "--keys", "1000"];
  await runBench(c.endpoints, [...warm, "--duration", values.warmup], BINARY);
  const inspectors = new Map<number, Inspector>();
  for (const id of c.nodes.keys()) inspectors.set(id, await Inspector.open(id));
  const sampling = {
    samplingInterval: Number(values.interval),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  };
  for (const i of inspectors.values()) await i.call("HeapProfiler.startSampling", sampling);
  const args = ["--op", values.op, "--concurrency", values.concurrency, "--value-size", "100"];
  // `--op idle`: no load; "per op" is then per second.
  const run = values.op === "idle"
    ? await idle(Number(values.seconds))
    : await runBench(c.endpoints, [...args, "--keys", "1000", "--duration", values.seconds]);
  console.log(
    `${values.op} c=${values.concurrency}: ${run.ops} ops, ${
      Math.round(run.opsPerSecond)
    }/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms (leader n${leader})`,
  );
  const top = Number(values.top);
  for (const [id, i] of inspectors) {
    const r = await i.call("HeapProfiler.stopSampling");
    const head = (r.profile as { head: ProfileNode }).head;
    const sites = [...bySite(head)].sort((a, b) => b[1] - a[1]);
    const total = sites.reduce((s, [, b]) => s + b, 0);
    const role = id === leader ? "leader" : "follower";
    console.log(
      `\nn${id} (${role}): ${(total / run.ops).toFixed(0)} bytes sampled per ${values.op}`,
    );
    for (const [site, bytes] of sites.slice(0, top)) {
      console.log(
        `  ${(bytes / run.ops).toFixed(0).padStart(7)} B  ${
          (100 * bytes / total).toFixed(1).padStart(5)
        } %  ${site}`,
      );
    }
    const files = new Map<string, number>();
    for (const [site, bytes] of sites) {
      const file = site.slice(site.lastIndexOf(" ") + 1).replace(/:\d+$/, "") || "(native)";
      files.set(file, (files.get(file) ?? 0) + bytes);
    }
    console.log(`  by file:`);
    for (const [file, bytes] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${(bytes / run.ops).toFixed(0).padStart(7)} B  ${file}`);
    }
    i.ws.close();
  }
} finally {
  await c.stop();
}
