/**
 * Platform micro-benchmarks (mitata): durable file appends (one fdatasync per
 * record, one per batch of 64 = group commit, and one per record written over
 * preallocated zeros, as the Raft log does), TCP round trips over
 * loopback (1 in flight and 64 pipelined, client and server in this process),
 * and CRC32C throughput. Run under both runtimes:
 *
 *   deno run -A bench/platform_bench.ts      bun bench/platform_bench.ts
 *
 * Results with the machine described go to bench/RESULTS.md.
 */
import { bench, do_not_optimize, group, run } from "mitata";
import { getPlatform } from "../src/platform/detect.ts";
import { NodeFileSystem } from "../src/platform/node_fs.ts";
import type { Conn, File, FileSystem } from "../src/platform/types.ts";
import { crc32c } from "../src/util/crc32c.ts";
import { encodeFrame, FrameDecoder } from "../src/util/frame.ts";
import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../src/limits.ts";
import { createPrng } from "../src/util/prng.ts";
import { makeTempDir, removeTempDir } from "../tests/helpers/temp_dir.ts";
import { describeMachine } from "./machine.ts";

const platform = getPlatform();
const dir = makeTempDir("tinykv-bench-");
const record = createPrng(1).fill(new Uint8Array(128));

const PREALLOCATED_BYTES = 8 * 1024 * 1024;

function openLog(fs: FileSystem, name: string): File {
  return fs.open(`${dir}/${name}`, { create: true, truncate: true });
}

const fileSystems: [string, FileSystem][] = [[`${platform.runtime} adapter`, platform.fs]];
if (platform.runtime === "deno") fileSystems.push(["node:fs under deno", new NodeFileSystem()]);

const zeroedLogs = new Map<string, File>();
for (const [name, fs] of fileSystems) {
  const f = openLog(fs, `zeroed-${name}`);
  f.write(0, new Uint8Array(PREALLOCATED_BYTES));
  await f.sync();
  zeroedLogs.set(name, f);
}

group("file: 128-byte record append + fdatasync", () => {
  for (const [name, fs] of fileSystems) {
    const single = openLog(fs, `single-${name}`);
    bench(`${name}: 1 record, 1 sync`, async () => {
      single.append(record);
      await single.sync();
    });
    const batched = openLog(fs, `batch-${name}`);
    bench(`${name}: 64 records, 1 sync (per batch)`, async () => {
      for (let i = 0; i < 64; i++) batched.append(record);
      await batched.sync();
    });
    // The Raft log's preallocation: the record lands on zeros written and
    // synced earlier, so the fdatasync does not change the file's size.
    const zeroed = zeroedLogs.get(name);
    if (zeroed === undefined) continue;
    let at = 0;
    bench(`${name}: 1 record over preallocated zeros, 1 sync`, async () => {
      zeroed.write(at, record);
      at = (at + record.length) % PREALLOCATED_BYTES;
      await zeroed.sync();
    });
  }
});

// One echo server; each client waits for its own replies.
const listener = await platform.net.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
  const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  conn.setHandlers({
    onData: (chunk) => {
      const frames = dec.push(chunk);
      if (frames.length === 1) conn.write(encodeFrame(frames[0]));
      else if (frames.length > 1) conn.write(concatFrames(frames));
    },
  });
});

function concatFrames(frames: Uint8Array[]): Uint8Array {
  const encoded = frames.map(encodeFrame);
  const out = new Uint8Array(encoded.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of encoded) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

async function client(): Promise<{ conn: Conn; roundTrips: (n: number) => Promise<void> }> {
  const conn = await platform.net.connect("127.0.0.1", listener.port);
  const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  let waiting = 0;
  let wake: () => void = () => {};
  conn.setHandlers({
    onData: (chunk) => {
      waiting -= dec.push(chunk).length;
      if (waiting === 0) wake();
    },
  });
  const payload = encodeFrame(record.subarray(0, 120));
  const batch64 = concatFrames(Array.from({ length: 64 }, () => record.subarray(0, 120)));
  const roundTrips = (n: number) =>
    new Promise<void>((resolve) => {
      waiting = n;
      wake = resolve;
      conn.write(n === 1 ? payload : batch64);
    });
  return { conn, roundTrips };
}

const one = await client();
const many = await client();
group(`tcp loopback: 120-byte frames (${platform.runtime} adapter)`, () => {
  bench("1 in flight (per round trip)", () => one.roundTrips(1));
  bench("64 pipelined (per batch of 64)", () => many.roundTrips(64));
});

const block = createPrng(2).fill(new Uint8Array(4096));
const large = createPrng(3).fill(new Uint8Array(1 << 20));
group("crc32c", () => {
  bench("4 KiB", () => do_not_optimize(crc32c(block)));
  bench("1 MiB", () => do_not_optimize(crc32c(large)));
});

console.log(describeMachine());
await run({ colors: false });
one.conn.close();
many.conn.close();
await listener.close();
removeTempDir(dir);
